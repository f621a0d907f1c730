import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errnoOf, ioError } from '../errors.js';
import { statIfExists } from '../fs/path-exists.js';
import { currentBoot } from '../store/lock-holder.js';

/**
 * The decompression cache of `tickdb query`: one verified database per entry, named by its SHA-256 (the day's
 * identity in every tier), `SHA256.db`, read-only. Bounded by `maxBytes`, least recently used out: every use sets
 * the entry's mtime.
 *
 * - An entry takes its name by rename, after its content was hashed against the recorded SHA-256: a killed or
 *   interrupted query leaves a `.tmp` (named with host and pid, removed by the next query once that pid is gone),
 *   never a partial entry.
 * - Safe between concurrent queries without a lock: two that miss the same day both write their own `.tmp` and the
 *   second rename replaces the first with the same bytes; an entry evicted while another query reads it stays
 *   readable through its open descriptor (POSIX), and a query that finds it gone before SQLite opened it decodes
 *   the day again into a verified scratch copy of its own, deleted after use, which no eviction touches.
 * - Each entry has a record, `SHA256.db.json`, written (atomically, by rename) once the entry was verified: its inode,
 *   size, mtime and ctime in nanoseconds, and the boot it was verified in. A hit is trusted without hashing only
 *   while the entry's `stat` and the boot still match its record; any write to the entry (even of the same size,
 *   even with its mtime put back) moves its ctime, so a changed entry, or one without a record, is hashed again
 *   before use, deleted if it differs, recorded again if not. The entry itself is never touched after its record is
 *   written: its use (the LRU order) is the record's mtime.
 * - Entries are not fsynced (a cache, like the output of `zstd -d`): only a crash of the kernel can lose their
 *   pages, and that means a reboot, after which every record is of another boot: each entry is hashed again before
 *   its first use after the reboot.
 */
export interface CacheSpec {
  dir: string;
  maxBytes: number;
}

const ENTRY = /^[0-9a-f]{64}\.db$/;
const TMP = /^[0-9a-f]{64}\.db\.(.+)\.(\d+)\.[0-9a-f]+(?:\.json)?\.tmp$/;

export function entryPath(cache: CacheSpec, sha256: string): string {
  return join(cache.dir, `${sha256}.db`);
}

/** A temporary name for a new entry, unique to this process; the host and pid let others tell a stale one. */
export function tmpEntryPath(cache: CacheSpec, sha256: string): string {
  return join(cache.dir, `${sha256}.db.${hostname()}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

export async function ensureCacheDir(cache: CacheSpec): Promise<void> {
  await mkdir(cache.dir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
    throw ioError('create cache folder', cache.dir, err, 'set queryCache.dir to a folder you can write');
  });
}

export interface CacheHit {
  path: string;
  /** The entry predates this boot, or no longer matches its record (or has none): hash it before use. */
  reverify: boolean;
}

const recordPath = (entry: string): string => `${entry}.json`;

/** This boot: Linux's boot_id, else the boot instant to the minute (a change costs one hash per entry, no more). */
export function bootKey(): string {
  const boot = currentBoot();
  return boot.bootId ?? `~${Math.round(boot.bootTime / 60_000)}`;
}

/** What an entry's record holds: its `stat` once verified, and the boot. */
function identity(st: { ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }, boot: string): string {
  const { ino, size, mtimeNs, ctimeNs } = st;
  return JSON.stringify({ ino: `${ino}`, size: `${size}`, mtimeNs: `${mtimeNs}`, ctimeNs: `${ctimeNs}`, boot });
}

/** The entry of `sha256` when it exists with the expected size; its use is recorded unless it must be re-hashed. */
export async function lookupEntry(
  cache: CacheSpec,
  sha256: string,
  bytes: number | undefined,
  boot = bootKey(),
): Promise<CacheHit | undefined> {
  const path = entryPath(cache, sha256);
  const st = await statIfExists(path); // undefined: never made, or evicted by another query
  if (st === undefined) return undefined;
  if (bytes !== undefined && st.size !== BigInt(bytes)) {
    await removeEntry(path);
    return undefined;
  }
  const record = await readFile(recordPath(path), 'utf8').catch(() => undefined);
  const reverify = record !== identity(st, boot);
  if (!reverify) await touchEntry(path);
  return { path, reverify };
}

/** Marks an entry as just used (LRU order): its record's mtime, never the entry's (whose ctime must not move). */
export async function touchEntry(entry: string): Promise<void> {
  const now = new Date();
  await utimes(recordPath(entry), now, now).catch(() => undefined);
}

/**
 * Records a verified entry as it is now (see the module comment); written whole by rename. Returns false, recording
 * nothing, when the entry is already gone: another query evicted it (see openFrom in run-day.ts, which then decodes
 * a scratch copy).
 */
export async function recordEntry(entry: string, boot = bootKey()): Promise<boolean> {
  const st = await statIfExists(entry);
  if (st === undefined) return false;
  const tmp = `${entry}.${hostname()}.${process.pid}.${randomBytes(4).toString('hex')}.json.tmp`;
  try {
    await writeFile(tmp, identity(st, boot), { mode: 0o600 });
    await rename(tmp, recordPath(entry));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw ioError('record the query cache entry', entry, err);
  }
  return true;
}

/** Deletes an entry and its record. */
export async function removeEntry(entry: string): Promise<void> {
  await unlink(entry).catch(() => undefined);
  await unlink(recordPath(entry)).catch(() => undefined);
}

/**
 * Makes a verified `.tmp` the entry (read-only, by rename) and records it, then evicts the least recently used beyond
 * `maxBytes`. Another query's eviction can delete the entry as soon as it is renamed: then nothing is recorded.
 */
export async function commitEntry(cache: CacheSpec, tmpPath: string, entry: string): Promise<void> {
  try {
    await chmod(tmpPath, 0o400);
    await rename(tmpPath, entry);
  } catch (err) {
    throw ioError('add to the query cache', entry, err);
  }
  if (await recordEntry(entry)) await evict(cache, entry);
}

/** Deletes least recently used entries until the cache holds at most `maxBytes` (`keep` is never deleted). */
export async function evict(cache: CacheSpec, keep?: string): Promise<string[]> {
  const entries: { path: string; bytes: number; usedMs: number }[] = [];
  const names = await readdir(cache.dir).catch(() => [] as string[]);
  const present = new Set(names);
  for (const name of names) {
    // A record whose entry is gone (evicted by another query while this one recorded it): removed.
    if (name.endsWith('.db.json') && ENTRY.test(name.slice(0, -5)) && !present.has(name.slice(0, -5)))
      await unlink(join(cache.dir, name)).catch(() => undefined);
    if (!ENTRY.test(name)) continue;
    const path = join(cache.dir, name);
    const st = await stat(path).catch(() => undefined);
    const used = await stat(recordPath(path)).catch(() => st);
    if (st !== undefined) entries.push({ path, bytes: st.size, usedMs: used?.mtimeMs ?? 0 });
  }
  let total = entries.reduce((sum, e) => sum + e.bytes, 0);
  const removed: string[] = [];
  for (const e of entries.sort((a, b) => a.usedMs - b.usedMs)) {
    if (total <= cache.maxBytes) break;
    if (e.path === keep) continue;
    await removeEntry(e.path);
    total -= e.bytes;
    removed.push(e.path);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoOf(err) === 'EPERM';
  }
}

/** Removes the `.tmp` files that queries killed on this host left behind (their pid is gone). */
export async function removeStaleTmp(cache: CacheSpec): Promise<string[]> {
  const removed: string[] = [];
  const host = hostname();
  for (const name of await readdir(cache.dir).catch(() => [] as string[])) {
    const m = TMP.exec(name);
    if (m === null || m[1] !== host || isAlive(Number(m[2]))) continue;
    await unlink(join(cache.dir, name)).catch(() => undefined);
    removed.push(join(cache.dir, name));
  }
  return removed;
}
