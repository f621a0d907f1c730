import { TickdbError } from '../errors.js';
import { removeDurably } from '../fs/copy-verified.js';
import { faultPoint } from '../fault.js';
import { done, type ExecContext, type StepOutcome } from './exec-context.js';
import { holdFor } from './legal-hold.js';
import type { PurgeBackupStep, PurgeStep } from './step-types.js';

/**
 * Deletes a day past purgeAfterDays from every tier. The legal holds are checked again against the config as it
 * is now (re-read before each purge), and the audit line (what and why) is written before anything is deleted.
 */
/**
 * The guards every purge re-checks at the moment it deletes (DESIGN 3b): a legal hold in the config as it is now
 * skips the day; a quarantined day is never purged.
 */
export function purgeHeld(step: Pick<PurgeStep, 'dataset' | 'day'>, ctx: ExecContext): StepOutcome | undefined {
  const hold = holdFor(ctx.currentHolds(), step.dataset, step.day);
  if (hold !== undefined)
    return {
      status: 'skipped',
      message: `${step.dataset}/${step.day} is under legal hold (${hold.reason}); not purged`,
    };
  if (ctx.store.get(step.dataset, step.day)?.state === 'quarantined')
    throw new TickdbError('REFUSED', `${step.dataset}/${step.day} is quarantined; never purged`);
  return undefined;
}

export async function purgeDay(step: PurgeStep, ctx: ExecContext): Promise<StepOutcome> {
  const held = purgeHeld(step, ctx);
  if (held !== undefined) return held;
  const rec = ctx.store.get(step.dataset, step.day);
  await ctx.store.transition(
    step.dataset,
    step.day,
    { state: 'purged', purgedAt: ctx.clock.now().toISOString(), pendingDelete: undefined },
    { event: 'purged', paths: step.paths, bytes: step.bytes, reason: step.reason, age: step.age, sha256: rec?.sha256 },
  );
  faultPoint('purge:after-audit');
  for (const path of step.paths) {
    await removeDurably(path);
    faultPoint('purge:mid-delete');
    if (path.endsWith('.db')) {
      await removeDurably(`${path}-wal`);
      await removeDurably(`${path}-shm`);
    }
  }
  return done(`purged ${step.dataset}/${step.day}: ${step.paths.length} file(s) (${step.reason})`);
}

/** Deletes a backup past backupRetentionDays once the day has a verified compressed copy. */
export async function purgeBackup(step: PurgeBackupStep, ctx: ExecContext): Promise<StepOutcome> {
  const rec = ctx.store.get(step.dataset, step.day);
  const verified =
    rec?.zstSha256 !== undefined &&
    rec.sha256 !== undefined &&
    (rec.state === 'compressed' || rec.state === 'archived');
  if (!verified)
    return {
      status: 'skipped',
      message: `${step.path} kept: ${step.dataset}/${step.day} has no verified compressed copy yet`,
    };
  await ctx.store.transition(
    step.dataset,
    step.day,
    { backupSha256: undefined, backedUpAt: undefined },
    { event: 'backup-purged', path: step.path, bytes: step.bytes, reason: step.reason, age: step.age },
  );
  await removeDurably(step.path);
  return done(`deleted backup ${step.path} (${step.reason})`);
}
