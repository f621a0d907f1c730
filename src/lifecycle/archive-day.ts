import { ioError, isTickdbError } from '../errors.js';
import { tmpPathFor } from '../fs/atomic-write.js';
import { copyVerifiedTmp } from '../fs/copy-verified.js';
import { sha256File } from '../fs/sha256.js';
import { faultPoint } from '../fault.js';
import { done, type ExecContext, type StepOutcome } from './exec-context.js';
import { completeMove } from './move-protocol.js';
import type { ArchiveStep } from './step-types.js';

/** Moves a compressed day to the archive tier (maybe another filesystem): verified copy, then the move protocol. */
export async function archiveDay(step: ArchiveStep, ctx: ExecContext): Promise<StepOutcome> {
  const rec = ctx.store.get(step.dataset, step.day);
  if (rec?.zstSha256 === undefined)
    return { status: 'skipped', message: `${step.dataset}/${step.day} has no verified .zst; not archived` };
  const tmp = tmpPathFor(step.dest);
  try {
    await copyVerifiedTmp(step.source, tmp, rec.zstSha256, 0o444);
  } catch (err) {
    // A copy that does not match: if the source itself no longer hashes to what was verified, it is damaged (bit rot,
    // an edit) and is quarantined where it is, as compress does; otherwise the copy went wrong and the step is retried.
    if (isTickdbError(err) && err.code === 'VERIFY') {
      const found = await sha256File(step.source).catch(() => undefined);
      if (found !== undefined && found.sha256 !== rec.zstSha256) {
        const reason = `corrupt .zst: SHA-256 ${found.sha256} != recorded ${rec.zstSha256} (the file changed after it was verified)`;
        await ctx.store.quarantine(step.dataset, step.day, step.source, reason);
        return {
          status: 'quarantined',
          message: `${step.source}: ${reason}; quarantined, left in place, not archived`,
        };
      }
    }
    throw ioError('archive', step.source, err);
  }
  faultPoint('archive:after-tmp');
  await completeMove(
    {
      job: 'archive',
      dataset: step.dataset,
      day: step.day,
      source: step.source,
      tmp,
      dest: step.dest,
      intent: {},
      final: { state: 'archived', archivedAt: ctx.clock.now().toISOString() },
      event: {
        event: 'archived',
        source: step.source,
        path: step.dest,
        zstSha256: rec.zstSha256,
        zstBytes: rec.zstBytes,
        ...(step.early !== undefined ? { reason: step.early } : {}),
      },
    },
    ctx,
  );
  return done(`archived ${step.source} -> ${step.dest}`);
}
