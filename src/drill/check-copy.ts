import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DatasetConfig } from '../config/schema.js';
import { describeError, isTickdbError } from '../errors.js';
import { sha256File } from '../fs/sha256.js';
import { inspectDatabase } from '../sqlite/inspect-database.js';
import type { DayRecord } from '../store/metadata-types.js';
import { decompressFile } from '../zstd/index.js';
import type { CopyCheck, RemoteCopySource, StoredCopy } from './drill-types.js';

export interface CheckCopyContext {
  dataset: Pick<DatasetConfig, 'tableName' | 'timestampColumn'>;
  threads: number;
  /** A private scratch folder (outside the tiers) for the decompressed and downloaded copies. */
  scratchDir: string;
  remote?: RemoteCopySource | undefined;
  signal?: AbortSignal | undefined;
}

/** A copy that restored and checked out, or the first way it did not. */
class BadCopy extends Error {}

function mustEqual(
  what: string,
  found: string | number | null | undefined,
  recorded: string | number | null | undefined,
): void {
  if (recorded === undefined) return; // not recorded (a day adopted without statistics): nothing to compare
  if (found !== recorded) throw new BadCopy(`${what} ${String(found)} != recorded ${String(recorded)}`);
}

/** integrity_check (read-only) of a database file, then its SHA-256, size, row count and time range against the record. */
async function checkDatabase(path: string, rec: DayRecord, ctx: CheckCopyContext): Promise<number> {
  const r = await inspectDatabase({
    op: 'inspect',
    path,
    table: ctx.dataset.tableName,
    timestampColumn: ctx.dataset.timestampColumn,
  });
  if (r.status === 'corrupt') throw new BadCopy(`integrity_check: ${r.problems.slice(0, 3).join('; ')}`);
  if (r.status === 'busy') throw new Error(`held by another connection (${r.detail}); not checked`);
  if (r.status === 'error') throw new Error(`could not be checked (${r.code}: ${r.message})`);
  mustEqual('SHA-256', r.sha256, rec.sha256);
  mustEqual('size', r.bytes, rec.bytes);
  mustEqual('rows', r.rows, rec.rows);
  mustEqual('first timestamp', r.minTs, rec.minTs);
  mustEqual('last timestamp', r.maxTs, rec.maxTs);
  return r.rows;
}

/** Decompresses a `.db.zst` into the scratch folder, checks the content's SHA-256, then the database. */
async function checkCompressed(zst: string, rec: DayRecord, ctx: CheckCopyContext): Promise<number> {
  if (rec.zstSha256 !== undefined) mustEqual('SHA-256 of the .zst', (await sha256File(zst)).sha256, rec.zstSha256);
  const out = join(ctx.scratchDir, `${rec.dataset}_${rec.day}.db`);
  try {
    let content;
    try {
      content = await decompressFile(zst, out, { threads: ctx.threads, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    } catch (err) {
      if (isTickdbError(err) && err.code === 'CORRUPT') throw new BadCopy(`does not decompress: ${err.message}`);
      throw err;
    }
    mustEqual('SHA-256 of the content', content.sha256, rec.sha256);
    return await checkDatabase(out, rec, ctx);
  } finally {
    await rm(out, { force: true });
  }
}

/**
 * Restores one stored copy of a sealed day into a scratch place and proves it: a `.db` copy is integrity-checked
 * and hashed where it is (read-only, nothing written beside it); a `.db.zst` (local, or downloaded from the remote
 * tier) is hashed, decompressed, and its content hashed and integrity-checked. Every figure the metadata records
 * (SHA-256, size, rows, first and last timestamp) must match. A copy that fails is `bad`; one that could not be
 * checked (I/O error, no space in the scratch folder, a remote that does not answer) is not `ok` but not `bad`.
 */
export async function checkCopy(copy: StoredCopy, rec: DayRecord, ctx: CheckCopyContext): Promise<CopyCheck> {
  const started = performance.now();
  const result = (ok: boolean, bad: boolean, message: string, rows?: number): CopyCheck => ({
    tier: copy.tier,
    location: copy.location,
    ok,
    bad,
    message,
    ...(rows !== undefined ? { rows } : {}),
    ms: Math.round(performance.now() - started),
  });
  try {
    let rows: number;
    if (copy.kind === 'db') {
      rows = await checkDatabase(copy.location, rec, ctx);
    } else if (copy.tier === 's3') {
      if (ctx.remote === undefined) throw new Error('no remote tier is configured');
      const local = join(ctx.scratchDir, `${rec.dataset}_${rec.day}.download.db.zst`);
      try {
        try {
          await ctx.remote.download(rec, local, ctx.signal);
        } catch (err) {
          if (isTickdbError(err) && err.code === 'CORRUPT') throw new BadCopy(`download: ${err.message}`);
          throw err;
        }
        rows = await checkCompressed(local, rec, ctx);
      } finally {
        await rm(local, { force: true });
      }
    } else {
      rows = await checkCompressed(copy.location, rec, ctx);
    }
    return result(true, false, `restored and verified: integrity ok, ${rows} rows, SHA-256 matches`, rows);
  } catch (err) {
    if (err instanceof BadCopy) return result(false, true, err.message);
    return result(false, false, `not checked: ${describeError(err)}`);
  }
}
