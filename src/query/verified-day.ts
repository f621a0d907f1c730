import { readFile, stat, unlink } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { TickdbError, ioError } from '../errors.js';
import { sha256File } from '../fs/sha256.js';
import { commitEntry, recordEntry, removeEntry, type CacheSpec } from './query-cache.js';
import type { DaySource, Materialize } from './query-types.js';

/**
 * The seam between a day's storage and the query: a day's database as a local file or as bytes, verified.
 * - `path`: read in place (live or sealed `.db`), or a cache entry; `temporary` paths are deleted after use.
 * - `bytes`: decompressed into memory (no cache), which SQLite opens as an in-memory database (`new Database(buffer)`).
 * A remote tier (S3) adds a `DaySource` kind whose bytes it fetches and hands to the same decompression and
 * verification, into the same cache: nothing after this function knows where a day came from.
 */
export type VerifiedDay =
  | { kind: 'path'; path: string; via: string; temporary?: boolean; quickCheck?: boolean }
  | { kind: 'bytes'; bytes: Buffer; via: string; quickCheck?: boolean };

/** What was hashed while a day was decoded: its content, its `.zst`, or both (see decompressFileHere). */
interface Digest {
  sha256: string | undefined;
  zstSha256?: string | undefined;
  bytes: number;
}

/**
 * One day among several (threads = 1): decoded on this worker thread, whose decoder and buffers serve day after day.
 * A day alone gets the frame workers of `decompressFile`, which decode its frames in parallel (and hash the content).
 * The `.zst` is hashed as it is read when its hash is recorded (`zstHash`), and then the content only with --verify.
 */
async function decode(
  src: string,
  dst: string,
  threads: number,
  zstHash: boolean,
  verifyContent: boolean,
): Promise<Digest> {
  // Loaded on first use: a query whose days are all sealed or cached (on the main thread) never decodes.
  const { decompressFile, decompressFileHere } = await import('../zstd/index.js');
  if (threads > 1) return decompressFile(src, dst, { threads });
  return decompressFileHere(src, dst, { hashZst: zstHash, hashContent: verifyContent });
}

function mismatch(source: DaySource, what: string): TickdbError {
  return new TickdbError('VERIFY', `${source.path} ${what}`, {
    path: source.path,
    hint: 'the stored copy does not match its record: run `tickdb verify --deep`; restore the day from its backup if one exists',
  });
}

function checkDigest(source: DaySource, digest: Digest): void {
  if (source.kind === 'live') return;
  const { sha256, bytes } = digest;
  if (source.bytes !== undefined && bytes !== source.bytes)
    throw mismatch(source, `holds ${bytes} bytes of database, not the recorded ${source.bytes}`);
  const zstRecorded = source.kind === 'compressed' ? source.zstSha256 : undefined;
  if (digest.zstSha256 !== undefined && digest.zstSha256 !== zstRecorded)
    throw mismatch(source, `has SHA-256 ${digest.zstSha256}, not the recorded ${zstRecorded ?? '(none)'}`);
  if (sha256 !== undefined && source.sha256 !== undefined && sha256 !== source.sha256) {
    throw mismatch(
      source,
      `${source.kind === 'compressed' ? 'decompresses to' : 'has'} SHA-256 ${sha256}, not the recorded ${source.sha256}`,
    );
  }
}

async function inPlace(source: DaySource, verifySha256: boolean): Promise<VerifiedDay> {
  if (source.kind === 'sealed') {
    const size = (
      await stat(source.path).catch((err: unknown) => {
        throw ioError('stat', source.path, err);
      })
    ).size;
    if (source.bytes !== undefined && size !== source.bytes)
      throw mismatch(source, `is ${size} bytes, not the recorded ${source.bytes}: changed since it was sealed`);
    if (verifySha256) checkDigest(source, await sha256File(source.path));
  }
  return { kind: 'path', path: source.path, via: source.kind === 'live' ? 'live, read-only' : 'sealed .db' };
}

/**
 * Decodes the day's `.db.zst` into `tmpPath`. A day only in the S3 archive is first fetched to `tmpPath.zst`,
 * its SHA-256 and size checked against the recorded object (inspect/fetch-remote.ts), then removed once decoded.
 */
async function decodeSource(
  source: DaySource,
  tmpPath: string,
  threads: number,
  config: Config | undefined,
  verifyContent: boolean,
): Promise<Digest> {
  const zstHash = source.kind === 'compressed' && source.zstSha256 !== undefined;
  if (source.kind !== 'compressed' || source.tier !== 's3')
    return decode(source.path, tmpPath, threads, zstHash, verifyContent);
  if (source.record === undefined || config === undefined) {
    throw new TickdbError('INTERNAL', `${source.day}: an S3 day without its record or configuration`);
  }
  const zst = `${tmpPath}.zst`;
  try {
    const { fetchRemoteDay } = await import('../inspect/fetch-remote.js');
    await fetchRemoteDay(config, source.record, zst);
    return await decode(zst, tmpPath, threads, zstHash, verifyContent);
  } finally {
    await unlink(zst).catch(() => undefined);
  }
}

/** A compressed day decoded into a `.tmp`, checked against its record, then made a cache entry (or kept as scratch). */
async function decompressed(
  source: DaySource,
  tmpPath: string,
  entry: string | undefined,
  cache: CacheSpec | undefined,
  threads: number,
  config: Config | undefined,
  verifyContent: boolean,
): Promise<VerifiedDay> {
  try {
    checkDigest(source, await decodeSource(source, tmpPath, threads, config, verifyContent));
  } catch (err) {
    await unlink(tmpPath).catch(() => undefined);
    throw err;
  }
  if (entry === undefined || cache === undefined || source.kind !== 'compressed' || source.sha256 === undefined) {
    // A scratch copy, deleted after use. Without a recorded hash to name and trust an entry by, SQLite checks it
    // (quick_check) before use; with one, it was verified above and is only kept out of the cache (see openFrom in run-day.ts).
    const unverified = source.kind !== 'compressed' || source.sha256 === undefined;
    return {
      kind: 'path',
      path: tmpPath,
      via: unverified
        ? 'decompressed (no recorded SHA-256: quick_check)'
        : 'decompressed into a scratch copy (its cache entry was evicted by another query)',
      temporary: true,
      quickCheck: unverified,
    };
  }
  await commitEntry(cache, tmpPath, entry);
  return { kind: 'path', path: entry, via: `decompressed into the cache (${source.tier})` };
}

/**
 * A compressed day decoded into memory, for a query without a cache: through a scratch `.tmp` (the engine writes
 * files), read back and deleted before SQLite opens the bytes. The scratch name carries host and pid, so a killed
 * query's leftover is removed by the next one (removeStaleTmp).
 */
async function inMemory(
  source: DaySource,
  tmpPath: string,
  threads: number,
  config: Config | undefined,
  verifyContent: boolean,
): Promise<VerifiedDay> {
  let bytes: Buffer;
  try {
    const digest = await decodeSource(source, tmpPath, threads, config, verifyContent);
    bytes = await readFile(tmpPath).catch((err: unknown) => {
      throw ioError('read', tmpPath, err);
    });
    checkDigest(source, digest);
  } finally {
    await unlink(tmpPath).catch(() => undefined);
  }
  const quickCheck = source.kind === 'compressed' && source.sha256 === undefined;
  return {
    kind: 'bytes',
    bytes,
    via: `decompressed into memory${quickCheck ? ' (no recorded SHA-256: quick_check)' : ''}`,
    quickCheck,
  };
}

/** The day's database, verified, as `how` (decided by the main thread from the cache and the memory budget) says. */
export async function verifiedDay(
  source: DaySource,
  how: Materialize,
  cache: CacheSpec | undefined,
  threads: number,
  config?: Config | undefined,
  verifyContent = false,
): Promise<VerifiedDay> {
  switch (how.mode) {
    case 'in-place':
      return inPlace(source, how.verifySha256);
    case 'memory':
      return inMemory(source, how.tmpPath, threads, config, verifyContent);
    case 'cache-hit': {
      if (!how.reverify) return { kind: 'path', path: how.entry, via: 'cache' };
      const digest = await sha256File(how.entry).catch(() => undefined);
      const recorded = source.kind === 'compressed' ? source : undefined;
      if (
        digest !== undefined &&
        digest.sha256 === recorded?.sha256 &&
        digest.bytes === (recorded.bytes ?? digest.bytes)
      ) {
        await recordEntry(how.entry);
        return { kind: 'path', path: how.entry, via: 'cache (hashed again: a reboot, or no matching record)' };
      }
      await removeEntry(how.entry);
      return decompressed(source, how.tmpPath, how.entry, cache, threads, config, verifyContent);
    }
    case 'decompress':
      return decompressed(source, how.tmpPath, how.entry, cache, threads, config, verifyContent);
  }
}
