import { ioError } from '../errors.js';
import { tmpPathFor } from '../fs/atomic-write.js';
import { copyVerifiedTmp } from '../fs/copy-verified.js';
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
      },
    },
    ctx,
  );
  return done(`archived ${step.source} -> ${step.dest}`);
}
