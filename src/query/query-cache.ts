import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import { errnoOf, ioError } from '../errors.js';

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
 *   readable through its open descriptor (POSIX), and a query that finds it gone decompresses it again.
 * - Entries are not fsynced (a cache, like the output of `zstd -d`): only a crash of the kernel can lose their
 *   pages, and that means a reboot. An entry whose inode last changed before this boot is therefore hashed again
 *   before its first use after the reboot.
 */
export interface CacheSpec {
  dir: string;
  maxBytes: number;
}

const ENTRY = /^[0-9a-f]{64}\.db$/;
const TMP = /^[0-9a-f]{64}\.db\.(.+)\.(\d+)\.[0-9a-f]+\.tmp$/;
/** Entries changed this soon after the boot are hashed again too: the boot instant is known to about a second. */
const BOOT_MARGIN_MS = 60_000;

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
  /** The entry predates this boot: hash it before use. */
  reverify: boolean;
}

/** The entry of `sha256` when it exists with the expected size; its use is recorded unless it must be re-hashed. */
export async function lookupEntry(
  cache: CacheSpec,
  sha256: string,
  bytes: number | undefined,
  bootMs = bootTimeMs(),
): Promise<CacheHit | undefined> {
  const path = entryPath(cache, sha256);
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw ioError('stat', path, err);
  }
  if (bytes !== undefined && st.size !== bytes) {
    await unlink(path).catch(() => undefined);
    return undefined;
  }
  const reverify = st.ctimeMs < bootMs + BOOT_MARGIN_MS;
  if (!reverify) await touchEntry(path);
  return { path, reverify };
}

/** Marks an entry as just used (LRU order); this also moves its ctime past the boot. */
export async function touchEntry(path: string): Promise<void> {
  const now = new Date();
  await utimes(path, now, now).catch(() => undefined);
}

/** The instant this host booted, in ms since the epoch. */
export function bootTimeMs(): number {
  return Date.now() - uptime() * 1000;
}

/** Makes a verified `.tmp` the entry (read-only, by rename), then evicts the least recently used beyond `maxBytes`. */
export async function commitEntry(cache: CacheSpec, tmpPath: string, entry: string): Promise<void> {
  try {
    await chmod(tmpPath, 0o400);
    await rename(tmpPath, entry);
  } catch (err) {
    throw ioError('add to the query cache', entry, err);
  }
  await evict(cache, entry);
}

/** Deletes least recently used entries until the cache holds at most `maxBytes` (`keep` is never deleted). */
export async function evict(cache: CacheSpec, keep?: string): Promise<string[]> {
  const entries: { path: string; bytes: number; usedMs: number }[] = [];
  for (const name of await readdir(cache.dir).catch(() => [] as string[])) {
    if (!ENTRY.test(name)) continue;
    const path = join(cache.dir, name);
    const st = await stat(path).catch(() => undefined);
    if (st !== undefined) entries.push({ path, bytes: st.size, usedMs: st.mtimeMs });
  }
  let total = entries.reduce((sum, e) => sum + e.bytes, 0);
  const removed: string[] = [];
  for (const e of entries.sort((a, b) => a.usedMs - b.usedMs)) {
    if (total <= cache.maxBytes) break;
    if (e.path === keep) continue;
    await unlink(e.path).catch(() => undefined);
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
