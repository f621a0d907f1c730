import { removeDurably } from '../fs/copy-verified.js';
import { sha256File } from '../fs/sha256.js';
import { done, type ExecContext, type StepOutcome } from './exec-context.js';
import type { CleanupTmpStep, FinishPendingStep, QuarantineStep } from './step-types.js';
import { pathExists } from '../fs/path-exists.js';

/** A `*.tmp` left by an interrupted write is never a good copy: the run that wrote it did not get to rename it. */
export async function cleanupTmp(step: CleanupTmpStep, ctx: ExecContext): Promise<StepOutcome> {
  await removeDurably(step.path);
  await ctx.store.audit({ event: 'tmp-removed', path: step.path });
  return done(`removed leftover ${step.path}`);
}

/**
 * Finishes a move interrupted by a crash. The successor counts only if its SHA-256 is the one recorded with the
 * intent (it was verified before it was renamed into place): then the source is deleted. No successor: the move
 * is rolled back (the source stays, the step is planned again). A successor that does not match: quarantine.
 */
export async function finishPending(step: FinishPendingStep, ctx: ExecContext): Promise<StepOutcome> {
  const rec = ctx.store.get(step.dataset, step.day);
  const sourceThere = await pathExists(step.source);
  const successorThere = await pathExists(step.successor);
  const tier = step.successor.startsWith(ctx.dirs.archive) ? 'archived' : 'compressed';
  if (successorThere) {
    const digest = await sha256File(step.successor);
    if (rec?.zstSha256 === undefined || digest.sha256 !== rec.zstSha256) {
      const reason = `interrupted move: ${step.successor} does not match the recorded SHA-256; ${step.source} kept`;
      await ctx.store.update(step.dataset, step.day, { pendingDelete: undefined });
      await ctx.store.quarantine(step.dataset, step.day, step.successor, reason);
      return { status: 'quarantined', message: reason };
    }
    const at = ctx.clock.now().toISOString();
    const stamp = tier === 'archived' ? { archivedAt: rec.archivedAt ?? at } : { compressedAt: rec.compressedAt ?? at };
    await ctx.store.transition(
      step.dataset,
      step.day,
      { state: tier, ...stamp },
      { event: 'recovered', outcome: 'completed', source: step.source, path: step.successor },
    );
    if (sourceThere) {
      await removeDurably(step.source);
      await removeDurably(`${step.source}-wal`);
      await removeDurably(`${step.source}-shm`);
    }
    await ctx.store.update(step.dataset, step.day, { pendingDelete: undefined });
    return done(`completed interrupted move: ${step.successor} verified, ${step.source} deleted`);
  }
  if (sourceThere) {
    // Rolled back: a compress that never renamed leaves hashes of a .zst that does not exist.
    const rollback = step.source.endsWith('.db') ? { zstSha256: undefined, zstBytes: undefined } : {};
    await ctx.store.transition(
      step.dataset,
      step.day,
      { pendingDelete: undefined, ...rollback },
      { event: 'recovered', outcome: 'rolled-back', source: step.source },
    );
    return done(`rolled back interrupted move of ${step.source}; it will be redone`);
  }
  const reason = `interrupted move: neither ${step.source} nor its successor exists`;
  await ctx.store.update(step.dataset, step.day, { pendingDelete: undefined });
  await ctx.store.quarantine(step.dataset, step.day, step.source, reason);
  return { status: 'quarantined', message: reason };
}

export async function quarantineStep(step: QuarantineStep, ctx: ExecContext): Promise<StepOutcome> {
  await ctx.store.quarantine(step.dataset, step.day, step.path, step.reason);
  return { status: 'quarantined', message: `${step.dataset}/${step.day} quarantined: ${step.reason}` };
}
