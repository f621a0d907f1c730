import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  entryPath,
  evict,
  lookupEntry,
  recordEntry,
  removeStaleTmp,
  tmpEntryPath,
  type CacheSpec,
} from '../../../src/query/query-cache.js';

const sha = (c: string): string => c.repeat(64);

describe('the query cache', () => {
  let cache: CacheSpec;
  beforeEach(() => {
    cache = { dir: mkdtempSync(join(tmpdir(), 'tickdb-qcache-')), maxBytes: 3000 };
  });
  afterEach(() => rmSync(cache.dir, { recursive: true, force: true }));

  /** An entry as a verified commit leaves it: the file, read-only, and its record; its last use `usedSecondsAgo`. */
  async function put(
    c: string,
    bytes: number,
    usedSecondsAgo: number,
    boot = 'boot-1',
    madeSecondsAgo?: number,
  ): Promise<string> {
    const path = entryPath(cache, sha(c));
    writeFileSync(path, Buffer.alloc(bytes));
    chmodSync(path, 0o400);
    if (madeSecondsAgo !== undefined) {
      const made = new Date(Date.now() - madeSecondsAgo * 1000);
      utimesSync(path, made, made);
    }
    await recordEntry(path, boot);
    const t = new Date(Date.now() - usedSecondsAgo * 1000);
    utimesSync(`${path}.json`, t, t);
    return path;
  }

  it('finds a recorded entry by SHA-256 and size, trusts it without hashing, and records its use on the record', async () => {
    const path = await put('a', 1000, 3600);
    const entryCtime = statSync(path, { bigint: true }).ctimeNs;
    const before = statSync(`${path}.json`).mtimeMs;
    const hit = await lookupEntry(cache, sha('a'), 1000, 'boot-1');
    expect(hit).toEqual({ path, reverify: false });
    expect(statSync(`${path}.json`).mtimeMs).toBeGreaterThan(before);
    expect(statSync(path, { bigint: true }).ctimeNs).toBe(entryCtime); // the entry itself is not touched
    expect(await lookupEntry(cache, sha('a'), 1000, 'boot-1')).toEqual({ path, reverify: false });
    expect(await lookupEntry(cache, sha('b'), 1000, 'boot-1')).toBeUndefined();
  });

  it('drops an entry of the wrong size, with its record', async () => {
    const path = await put('a', 999, 0);
    expect(await lookupEntry(cache, sha('a'), 1000, 'boot-1')).toBeUndefined();
    expect(readdirSync(cache.dir)).toEqual([]);
    expect(existsSync(path)).toBe(false);
  });

  it('asks for an entry recorded in another boot to be hashed again, and leaves its use unrecorded until then', async () => {
    const path = await put('a', 1000, 3600);
    const before = statSync(`${path}.json`).mtimeMs;
    expect(await lookupEntry(cache, sha('a'), 1000, 'boot-2')).toEqual({ path, reverify: true });
    expect(statSync(`${path}.json`).mtimeMs).toBe(before);
  });

  it('asks for a changed entry to be hashed again: a byte rewritten in place, mtime put back, size unchanged', async () => {
    const path = await put('a', 1000, 0);
    const { atime, mtime } = statSync(path);
    chmodSync(path, 0o600);
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from([1]), 0, 1, 500);
    closeSync(fd);
    chmodSync(path, 0o400);
    utimesSync(path, atime, mtime);
    expect(statSync(path).size).toBe(1000);
    expect(await lookupEntry(cache, sha('a'), 1000, 'boot-1')).toEqual({ path, reverify: true });
  });

  it('asks for an entry without a record, or with a damaged one, to be hashed again', async () => {
    const path = await put('a', 1000, 0);
    writeFileSync(`${path}.json`, '{"ino":');
    expect(await lookupEntry(cache, sha('a'), 1000, 'boot-1')).toEqual({ path, reverify: true });
    rmSync(`${path}.json`);
    expect(await lookupEntry(cache, sha('a'), 1000, 'boot-1')).toEqual({ path, reverify: true });
    await recordEntry(path, 'boot-1');
    expect(await lookupEntry(cache, sha('a'), 1000, 'boot-1')).toEqual({ path, reverify: false });
  });

  it('records nothing for an entry that another query evicted before it was recorded, and does not throw', async () => {
    const gone = entryPath(cache, sha('e'));
    expect(await recordEntry(gone, 'boot-1')).toBe(false);
    expect(readdirSync(cache.dir)).toEqual([]);
  });

  it('evicts the least recently used entries beyond maxBytes, never the one just added', async () => {
    const oldest = await put('a', 1000, 300);
    const middle = await put('b', 1000, 200);
    const newest = await put('c', 1000, 100);
    const added = await put('d', 1000, 400);
    const removed = await evict(cache, added);
    expect(removed).toEqual([oldest]);
    expect(readdirSync(cache.dir).sort()).toEqual(
      [middle, newest, added]
        .flatMap((p) => [p, `${p}.json`])
        .map((p) => p.slice(cache.dir.length + 1))
        .sort(),
    );
  });

  it('orders eviction by last use, not by when the entry was made: a hit saves the oldest entry', async () => {
    // Made in the order a, b, c (a's file is the oldest), each last used in that order, then a is read again.
    const a = await put('a', 1000, 300, 'boot-1', 3000);
    const b = await put('b', 1000, 200, 'boot-1', 2000);
    const c = await put('c', 1000, 100, 'boot-1', 1000);
    expect(await lookupEntry(cache, sha('a'), 1000, 'boot-1')).toEqual({ path: a, reverify: false });
    const d = await put('d', 1000, 0);
    expect(await evict(cache, d)).toEqual([b]);
    expect(existsSync(a) && existsSync(c) && existsSync(d)).toBe(true);
  });

  it('removes the .tmp of a process that is gone, not of one alive', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadTmp = join(cache.dir, `${sha('a')}.db.${hostname()}.${dead.stdout}.0a0b0c0d.tmp`);
    writeFileSync(deadTmp, 'partial');
    const mine = tmpEntryPath(cache, sha('b'));
    writeFileSync(mine, 'partial');
    const otherHost = join(cache.dir, `${sha('c')}.db.elsewhere.${dead.stdout}.0a0b0c0d.tmp`);
    writeFileSync(otherHost, 'partial');
    expect(await removeStaleTmp(cache)).toEqual([deadTmp]);
    expect(readdirSync(cache.dir).sort()).toEqual([mine, otherHost].map((p) => p.slice(cache.dir.length + 1)).sort());
  });
});
