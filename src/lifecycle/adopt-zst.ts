import { unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isTickdbError } from '../errors.js';
import { inspectDatabase } from '../sqlite/inspect-database.js';
import { sha256File } from '../fs/sha256.js';
import { decompressFile } from '../zstd/index.js';
import { datasetOf, done, type ExecContext, type StepOutcome } from './exec-context.js';
import type { AdoptZstStep } from './step-types.js';

/**
 * Adopts a `.db.zst` that tickdb has no verified record of (made by the older scripts' `zstd`, or found by a
 * rebuild): decompress it to a `.tmp` beside it, run the SQLite checks on that, record the hashes and stats.
 * A file that does not decompress, or decompresses to a damaged database, is quarantined where it is.
 */
export async function adoptZst(step: AdoptZstStep, ctx: ExecContext): Promise<StepOutcome> {
  const dataset = datasetOf(ctx, step.dataset);
  const tmp = join(dirname(step.path), `.${basename(step.path)}.adopt.${process.pid}.tmp`);
  const quarantine = async (reason: string): Promise<StepOutcome> => {
    await ctx.store.quarantine(step.dataset, step.day, step.path, reason);
    return { status: 'quarantined', message: `${step.path}: ${reason}; quarantined, left in place` };
  };
  try {
    let content;
    try {
      content = await decompressFile(step.path, tmp, {
        threads: ctx.config.compressionThreads,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } catch (err) {
      if (isTickdbError(err) && err.code === 'CORRUPT') return await quarantine(err.message);
      throw err;
    }
    const rec = ctx.store.get(step.dataset, step.day);
    if (rec?.sha256 !== undefined && rec.sha256 !== content.sha256) {
      return await quarantine(`decompresses to SHA-256 ${content.sha256}, not the recorded ${rec.sha256}`);
    }
    const result = await inspectDatabase({
      op: 'inspect',
      path: tmp,
      table: dataset.tableName,
      timestampColumn: dataset.timestampColumn,
    });
    if (result.status === 'corrupt')
      return await quarantine(`decompressed database fails its checks: ${result.problems.slice(0, 5).join('; ')}`);
    if (result.status !== 'ok')
      return { status: 'failed', message: `${step.path}: could not inspect: ${JSON.stringify(result)}` };
    const zst = await sha256File(step.path);
    const inArchive = step.path.startsWith(ctx.dirs.archive);
    await ctx.store.transition(
      step.dataset,
      step.day,
      {
        state: inArchive ? 'archived' : 'compressed',
        sha256: content.sha256,
        bytes: content.bytes,
        zstSha256: zst.sha256,
        zstBytes: zst.bytes,
        rows: result.rows,
        minTs: result.minTs,
        maxTs: result.maxTs,
        origin: rec?.origin ?? 'adopted',
      },
      {
        event: 'adopted',
        path: step.path,
        sha256: content.sha256,
        zstSha256: zst.sha256,
        rows: result.rows,
        frames: content.frames,
      },
    );
    return done(`adopted ${step.path}: ${result.rows} rows, integrity ok`);
  } finally {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) await unlink(f).catch(() => undefined);
  }
}
