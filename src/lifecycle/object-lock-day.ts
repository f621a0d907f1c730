import { TickdbError } from '../errors.js';
import type { RemoteObject } from '../archive-target/target.js';
import { done, type ExecContext, type StepOutcome } from './exec-context.js';
import { backlogOutcome, remoteOf } from './remote-context.js';
import type { ObjectLockStep } from './step-types.js';

/**
 * Brings one object version's Object Lock in line with the config (DESIGN 12): PutObjectRetention to the later
 * purge date (the object's own mode; never shortened, never with bypass-governance), PutObjectLegalHold ON or OFF.
 * Each change is read back from the server, then recorded in the day's `remote` record with an audit line
 * (`retention-extended`, `legal-hold-set`, `legal-hold-lifted`).
 */
export async function objectLockDay(step: ObjectLockStep, ctx: ExecContext): Promise<StepOutcome> {
  const remote = remoteOf(ctx);
  if (remote.offline !== undefined) return backlogOutcome(step, remote.offline);
  const rec = ctx.store.get(step.dataset, step.day);
  const r = rec?.remote;
  if (r === undefined || r.versionId !== step.versionId)
    return { status: 'skipped', message: `${step.dataset}/${step.day}: the recorded version changed; next pass` };
  const { target, config: tc } = remote;
  const where = `s3://${target.bucket}/${step.key} (version ${step.versionId})`;
  const did: string[] = [];
  try {
    // The server judges dates on its own clock: a date already past cannot be set (and protects nothing).
    const want = step.retainUntil;
    if (want !== undefined && Date.parse(want) > Date.now()) {
      const mode = r.lockMode ?? tc.objectLock?.mode ?? 'COMPLIANCE';
      await target.retainUntil(step.key, step.versionId, mode, new Date(want));
      const after = await confirm(ctx, step, (h) => h.retainUntil !== undefined && h.retainUntil >= want);
      const from = r.retainUntil;
      await ctx.store.transition(
        step.dataset,
        step.day,
        { remote: { ...r, lockMode: after.lockMode ?? mode, retainUntil: after.retainUntil } },
        {
          event: 'retention-extended',
          bucket: target.bucket,
          key: step.key,
          versionId: step.versionId,
          lockMode: after.lockMode ?? mode,
          from,
          retainUntil: after.retainUntil,
          reason: step.reason,
        },
      );
      did.push(`retention extended to ${after.retainUntil ?? want}`);
    }
    if (step.legalHold !== undefined) {
      const on = step.legalHold;
      await target.setLegalHold(step.key, step.versionId, on);
      await confirm(ctx, step, (h) => (h.legalHold === true) === on);
      const current = ctx.store.get(step.dataset, step.day)?.remote ?? r;
      const { legalHold: _, ...rest } = current;
      await ctx.store.transition(
        step.dataset,
        step.day,
        { remote: on ? { ...rest, legalHold: true } : rest },
        {
          event: on ? 'legal-hold-set' : 'legal-hold-lifted',
          bucket: target.bucket,
          key: step.key,
          versionId: step.versionId,
          reason: step.reason,
        },
      );
      did.push(on ? 'legal hold set' : 'legal hold lifted');
    }
  } catch (err) {
    if (err instanceof TickdbError && err.code === 'OFFLINE') {
      remote.offline = err;
      return backlogOutcome(step, err);
    }
    throw err;
  }
  if (did.length === 0) return { status: 'skipped', message: `${where}: retention date already past; nothing to set` };
  return done(`${where}: ${did.join(', ')} (${step.reason})`);
}

/** Reads the version back: the server must show the change, or the step fails (nothing is recorded). */
async function confirm(
  ctx: ExecContext,
  step: ObjectLockStep,
  ok: (h: RemoteObject) => boolean,
): Promise<RemoteObject> {
  const { target } = remoteOf(ctx);
  const h = await target.head(step.key, step.versionId);
  if (h === undefined || !ok(h))
    throw new TickdbError(
      'VERIFY',
      `s3://${target.bucket}/${step.key} version ${step.versionId} does not show the Object Lock change just made (${step.reason})`,
      {
        hint: 'check that the bucket has Object Lock and that the server applies PutObjectRetention/PutObjectLegalHold',
      },
    );
  return h;
}
