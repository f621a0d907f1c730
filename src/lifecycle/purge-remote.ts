import { isLockRefusal } from '../archive-target/s3-errors.js';
import { TickdbError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { done, type ExecContext, type StepOutcome } from './exec-context.js';
import { purgeHeld } from './purge-day.js';
import { backlogOutcome, remoteOf } from './remote-context.js';
import type { PurgeRemoteStep } from './step-types.js';

/**
 * Deletes a day's object version from the S3 archive once its retention has passed (DESIGN 12). Before that the
 * purge is refused: reported once (an audit line and a log line), then skipped quietly each run until the date.
 * The audit line of the purge is written before the delete, as for local files; a server that still refuses
 * (its clock is the judge of retention) puts the day back to archived with a `purge-refused` line.
 */
export async function purgeRemote(step: PurgeRemoteStep, ctx: ExecContext): Promise<StepOutcome> {
  const held = purgeHeld(step, ctx);
  if (held !== undefined) return held;
  const rec = ctx.store.get(step.dataset, step.day);
  const remote = rec?.remote;
  if (remote === undefined) return done(`${step.dataset}/${step.day} has no object in the S3 archive`);
  const { target } = remoteOf(ctx);
  const where = `s3://${remote.bucket}/${remote.key} (version ${remote.versionId})`;
  const now = ctx.clock.now();
  const onlyRemote = rec?.state === 'archived' && !step.localToo;
  if (remote.retainUntil !== undefined && now.getTime() < Date.parse(remote.retainUntil)) {
    return await deferred(step, ctx, remote.retainUntil, `${where} is under retention until ${remote.retainUntil}`);
  }
  if (ctx.remote?.offline !== undefined) return backlogOutcome(step, ctx.remote.offline);
  const previous = rec?.state ?? 'archived';
  await ctx.store.transition(
    step.dataset,
    step.day,
    onlyRemote || previous === 'purged' ? { state: 'purged', purgedAt: now.toISOString() } : {},
    {
      event: onlyRemote || previous === 'purged' ? 'purged' : 'remote-purged',
      target: target.location,
      bucket: remote.bucket,
      key: remote.key,
      versionId: remote.versionId,
      bytes: remote.bytes,
      sha256: rec?.sha256,
      zstSha256: remote.sha256,
      reason: step.reason,
      age: step.age,
    },
  );
  faultPoint('purge-remote:after-audit');
  try {
    await target.deleteVersion(remote.key, remote.versionId);
  } catch (err) {
    if (isLockRefusal(err)) {
      await ctx.store.transition(
        step.dataset,
        step.day,
        {
          state: previous === 'purged' ? 'archived' : previous,
          purgedAt: undefined,
          purgeDeferredUntil: remote.retainUntil ?? 'unknown',
        },
        { event: 'purge-refused', key: remote.key, versionId: remote.versionId, detail: (err as Error).message },
      );
      return {
        status: 'skipped',
        message: `purge of ${where} refused by the server's object lock; kept, retried at the next run`,
      };
    }
    if (err instanceof TickdbError && err.code === 'OFFLINE') {
      if (ctx.remote !== undefined) ctx.remote.offline = err;
      return backlogOutcome(step, err);
    }
    throw err;
  }
  await ctx.store.update(step.dataset, step.day, { remote: undefined, purgeDeferredUntil: undefined });
  return done(`purged ${where} (${step.reason})`);
}

/** Reported once per retention date: an audit line and an info log, then quiet skips. */
async function deferred(step: PurgeRemoteStep, ctx: ExecContext, until: string, why: string): Promise<StepOutcome> {
  const rec = ctx.store.get(step.dataset, step.day);
  if (rec?.purgeDeferredUntil === until) return { status: 'deferred', message: `${why}; purge waits` };
  await ctx.store.transition(
    step.dataset,
    step.day,
    { purgeDeferredUntil: until },
    {
      event: 'purge-deferred',
      key: rec?.remote?.key,
      versionId: rec?.remote?.versionId,
      retainUntil: until,
      reason: step.reason,
    },
  );
  return { status: 'skipped', message: `${why}: the purge is refused until then (reported once)` };
}
