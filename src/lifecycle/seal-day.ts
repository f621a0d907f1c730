import { chmod, stat } from 'node:fs/promises';
import { ioError } from '../errors.js';
import { inspectDatabase } from '../sqlite/inspect-database.js';
import { copyVerified } from '../fs/copy-verified.js';
import { faultPoint } from '../fault.js';
import { datasetOf, done, type ExecContext, type StepOutcome } from './exec-context.js';
import type { BackupStep, SealStep } from './step-types.js';

const READ_ONLY = 0o444;

/**
 * Seals a past day (DESIGN 3a): checkpoint(TRUNCATE), journal_mode=DELETE (fails while a writer still has it
 * open: busy, retried next run), integrity_check, stats and SHA-256 in a worker thread; then read-only.
 * A database that fails its checks is quarantined where it is.
 */
export async function sealDay(step: SealStep, ctx: ExecContext): Promise<StepOutcome> {
  const { store } = ctx;
  const dataset = datasetOf(ctx, step.dataset);
  const mode =
    (
      await stat(step.path).catch((err: unknown) => {
        throw ioError('stat', step.path, err);
      })
    ).mode & 0o777;
  const madeWritable = (mode & 0o200) === 0;
  if (madeWritable) await chmod(step.path, mode | 0o200); // an adopted read-only file: sealing must write
  // A seal that does not complete (busy, corrupt, error) gives the file back its mode: quarantine keeps a file as found.
  const restoreMode = async (): Promise<void> => {
    if (madeWritable) await chmod(step.path, mode).catch(() => undefined);
  };
  let result: Awaited<ReturnType<typeof inspectDatabase>>;
  try {
    result = await inspectDatabase({
      op: 'seal',
      path: step.path,
      table: dataset.tableName,
      timestampColumn: dataset.timestampColumn,
    });
  } catch (err) {
    await restoreMode();
    throw err;
  }
  if (result.status !== 'ok') await restoreMode();
  switch (result.status) {
    case 'busy': {
      const rec = store.ensure(step.dataset, step.day);
      if (rec.busySince === undefined)
        await store.update(step.dataset, step.day, { busySince: ctx.clock.now().toISOString() });
      return {
        status: 'busy',
        message: `${step.path} is still held by a writer (${result.detail}); retried at the next run`,
      };
    }
    case 'corrupt': {
      const reason = `integrity check failed: ${result.problems.slice(0, 5).join('; ')}`;
      await store.quarantine(step.dataset, step.day, step.path, reason);
      return { status: 'quarantined', message: `${step.path}: ${reason}; quarantined, left in place` };
    }
    case 'error':
      throw ioError('seal', step.path, new Error(`${result.code} ${result.message}`));
    case 'ok':
      break;
  }
  faultPoint('rotate:after-checkpoint');
  await chmod(step.path, READ_ONLY);
  faultPoint('rotate:after-chmod');
  await store.transition(
    step.dataset,
    step.day,
    {
      state: 'sealed',
      sha256: result.sha256,
      bytes: result.bytes,
      rows: result.rows,
      minTs: result.minTs,
      maxTs: result.maxTs,
      sealedAt: ctx.clock.now().toISOString(),
      busySince: undefined,
    },
    {
      event: 'sealed',
      path: step.path,
      sha256: result.sha256,
      bytes: result.bytes,
      rows: result.rows,
      walBytesFolded: result.walBytesFolded,
    },
  );
  return done(`sealed ${step.path}: ${result.rows} rows, sha256 ${result.sha256.slice(0, 12)}`);
}

/** A byte-identical, verified copy of the sealed file; replaces atomically a backup that does not match. */
export async function backupDay(step: BackupStep, ctx: ExecContext): Promise<StepOutcome> {
  const rec = ctx.store.get(step.dataset, step.day);
  if (rec?.sha256 === undefined)
    return { status: 'skipped', message: `${step.dataset}/${step.day} is not sealed; no backup` };
  faultPoint('rotate:before-backup');
  await copyVerified(step.source, step.dest, rec.sha256, READ_ONLY);
  faultPoint('rotate:after-backup');
  await ctx.store.transition(
    step.dataset,
    step.day,
    { backupSha256: rec.sha256, backedUpAt: ctx.clock.now().toISOString() },
    { event: 'backed-up', path: step.dest, sha256: rec.sha256, replaced: step.reason === 'mismatch' },
  );
  return done(
    `backed up ${step.source} to ${step.dest}${step.reason === 'mismatch' ? ' (replaced a copy that did not match)' : ''}`,
  );
}
