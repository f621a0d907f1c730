import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  entryPath,
  evict,
  lookupEntry,
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

  function put(c: string, bytes: number, usedSecondsAgo: number): string {
    const path = entryPath(cache, sha(c));
    writeFileSync(path, Buffer.alloc(bytes));
    const t = new Date(Date.now() - usedSecondsAgo * 1000);
    utimesSync(path, t, t);
    return path;
  }

  it('finds an entry by SHA-256 and size, and records its use', async () => {
    const path = put('a', 1000, 3600);
    const before = statSync(path).mtimeMs;
    const hit = await lookupEntry(cache, sha('a'), 1000, 0);
    expect(hit).toEqual({ path, reverify: false });
    expect(statSync(path).mtimeMs).toBeGreaterThan(before);
    expect(await lookupEntry(cache, sha('b'), 1000, 0)).toBeUndefined();
  });

  it('drops an entry of the wrong size', async () => {
    const path = put('a', 999, 0);
    expect(await lookupEntry(cache, sha('a'), 1000, 0)).toBeUndefined();
    expect(readdirSync(cache.dir)).not.toContain(path.slice(cache.dir.length + 1));
  });

  it('asks for an entry written before the boot to be hashed again, and leaves its use unrecorded until then', async () => {
    const path = put('a', 1000, 3600);
    const before = statSync(path).mtimeMs;
    const hit = await lookupEntry(cache, sha('a'), 1000, Date.now() + 3600_000);
    expect(hit).toEqual({ path, reverify: true });
    expect(statSync(path).mtimeMs).toBe(before);
  });

  it('evicts the least recently used entries beyond maxBytes, never the one just added', async () => {
    const oldest = put('a', 1000, 300);
    const middle = put('b', 1000, 200);
    const newest = put('c', 1000, 100);
    const added = put('d', 1000, 400);
    const removed = await evict(cache, added);
    expect(removed).toEqual([oldest]);
    expect(readdirSync(cache.dir).sort()).toEqual(
      [middle, newest, added].map((p) => p.slice(cache.dir.length + 1)).sort(),
    );
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
