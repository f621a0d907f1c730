import { TickdbError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { removeDurably } from '../fs/copy-verified.js';
import { readBackDigest } from '../archive-target/read-back.js';
import { retainUntilFor, testRetentionOverride } from '../archive-target/retention.js';
import type { RemoteObject } from '../archive-target/target.js';
import { effectiveThresholds } from '../config/schema.js';
import type { RemoteRecord } from '../store/metadata-types.js';
import { datasetOf, done, type ExecContext, type StepOutcome } from './exec-context.js';
import { holdFor } from './legal-hold.js';
import { backlogOutcome, countRemote, remoteOf } from './remote-context.js';
import type { UploadStep } from './step-types.js';

/**
 * Archives a verified `.db.zst` to the S3 target (DESIGN 12): intent recorded, upload (Content-MD5 on every
 * part), retention checked on the stored version and set if the server did not apply it, the version read back
 * and its size and SHA-256 compared, version id and ETag recorded with the audit line, and only then the local
 * copy removed. A run killed at any point leaves the intent: the next run aborts the multipart upload it left,
 * adopts a complete version whose bytes match, or uploads again.
 */
export async function uploadDay(step: UploadStep, ctx: ExecContext): Promise<StepOutcome> {
  const remote = remoteOf(ctx);
  const { target, config: tc } = remote;
  const rec = ctx.store.get(step.dataset, step.day);
  const sha256 = rec?.zstSha256;
  const bytes = rec?.zstBytes;
  if (sha256 === undefined || bytes === undefined)
    return { status: 'skipped', message: `${step.dataset}/${step.day} has no verified .zst; not archived` };
  if (remote.offline !== undefined) {
    countRemote(ctx, 0, 1); // an upload that could not be made counts as failed (the metric), not the day
    return backlogOutcome(step, remote.offline);
  }
  const key = target.keyFor(step.dataset, step.day);
  const t = effectiveThresholds(ctx.config, datasetOf(ctx, step.dataset));
  const lockUntil =
    testRetentionOverride() ?? retainUntilFor(step.day, t.purgeAfterDays, ctx.config.minimumRetentionDays);
  // The server refuses a retain-until date in the past (by its own clock, the real one): a day archived after its
  // purge date (a late upload of an old tree) is written without retention, and the purge takes it as due.
  const lock =
    tc.objectLock === undefined || lockUntil.getTime() <= Date.now()
      ? undefined
      : { mode: tc.objectLock.mode, retainUntil: lockUntil };
  // A legal hold needs Object Lock on the bucket: without objectLock in the config it is the purge's guard only.
  const held = tc.objectLock !== undefined && holdFor(ctx.currentHolds(), step.dataset, step.day) !== undefined;
  try {
    let stored = rec?.remote?.sha256 === sha256 ? await target.head(key, rec.remote.versionId) : undefined;
    if (stored === undefined) {
      await ctx.store.update(step.dataset, step.day, {
        pendingUpload: { bucket: target.bucket, key, at: ctx.clock.now().toISOString() },
      });
      faultPoint('upload:after-intent');
      const aborted = await target.abortIncomplete(key);
      if (aborted > 0)
        ctx.logger.warn(
          { day: `${step.dataset}/${step.day}`, key },
          `aborted ${aborted} incomplete multipart upload(s) of ${key} left by an interrupted run`,
        );
      stored = (await target.versions(key)).find((v) => v.sha256 === sha256 && v.bytes === bytes);
      if (stored === undefined) {
        stored = await target.put(step.source, key, {
          sha256,
          bytes,
          day: { sha256: rec?.sha256, bytes: rec?.bytes, rows: rec?.rows },
          lock,
          legalHold: held,
        });
        countRemote(ctx, bytes, 0);
      }
      faultPoint('upload:after-put');
    }
    stored = await ensureRetention(ctx, stored, lock, step.source);
    if (stored.bytes !== bytes) throw mismatch(step, key, stored, `${stored.bytes} bytes, not the recorded ${bytes}`);
    const back = await readBackDigest(target, key, stored.versionId);
    if (back.bytes !== bytes || back.sha256 !== sha256)
      throw mismatch(step, key, stored, `read back as ${back.bytes} bytes with SHA-256 ${back.sha256}, not ${sha256}`);
    // Only on the version that read back whole: a hold on a bad version would keep it, untracked, for ever.
    if (held) stored = await ensureLegalHold(ctx, stored, step.source);
    const at = ctx.clock.now().toISOString();
    const record: RemoteRecord = {
      target: 's3',
      bucket: target.bucket,
      key,
      versionId: stored.versionId,
      etag: stored.etag,
      bytes,
      sha256,
      ...(stored.lockMode !== undefined ? { lockMode: stored.lockMode } : {}),
      ...(stored.retainUntil !== undefined ? { retainUntil: stored.retainUntil } : {}),
      ...(held ? { legalHold: true } : {}),
      uploadedAt: rec?.remote?.uploadedAt ?? at,
      verifiedAt: at,
    };
    const fresh = rec?.remote?.versionId !== stored.versionId;
    if (fresh || rec?.state !== 'archived') {
      await ctx.store.transition(
        step.dataset,
        step.day,
        { state: 'archived', archivedAt: rec?.archivedAt ?? at, remote: record, pendingUpload: undefined },
        {
          event: 'archived',
          target: target.location,
          bucket: target.bucket,
          key,
          versionId: stored.versionId,
          etag: stored.etag,
          zstSha256: sha256,
          zstBytes: bytes,
          retainUntil: record.retainUntil,
          lockMode: record.lockMode,
          source: step.source,
        },
      );
    } else {
      await ctx.store.update(step.dataset, step.day, { remote: record, pendingUpload: undefined });
    }
    faultPoint('upload:after-audit');
    const where = `s3://${target.bucket}/${key} (version ${stored.versionId})`;
    if (tc.keepLocalCopy) return done(`archived ${step.source} -> ${where}, verified; local copy kept`);
    await removeDurably(step.source);
    return done(`archived ${step.source} -> ${where}, verified; local copy removed`);
  } catch (err) {
    countRemote(ctx, 0, 1);
    if (err instanceof TickdbError && err.code === 'OFFLINE') {
      remote.offline = err;
      return backlogOutcome(step, err);
    }
    throw err;
  }
}

function mismatch(step: UploadStep, key: string, v: RemoteObject, what: string): TickdbError {
  return new TickdbError(
    'VERIFY',
    `uploaded ${step.dataset}/${step.day} (s3 key ${key}, version ${v.versionId}) ${what}; local copy kept`,
    {
      path: step.source,
      hint: 'the next run uploads it again; check the network path and the server (the version stays until its retention ends)',
    },
  );
}

/**
 * RGW ignores the lock headers of a multipart upload (retention and legal hold alike): what the version lacks is set
 * on it, then read back from the server before the local copy can go. A server that does not apply it is an error.
 */
async function setAndReadBack(
  ctx: ExecContext,
  v: RemoteObject,
  source: string,
  what: 'retention' | 'legal hold',
  set: () => Promise<void>,
  applied: (h: RemoteObject) => boolean,
): Promise<RemoteObject> {
  const { target } = remoteOf(ctx);
  await set();
  const after = await target.head(v.key, v.versionId);
  if (after === undefined || !applied(after)) {
    throw new TickdbError(
      'VERIFY',
      `s3://${target.bucket}/${v.key} version ${v.versionId} has no ${what} after it was set; local copy kept`,
      {
        path: source,
        hint: `the server does not apply Object Lock ${what === 'retention' ? 'retention' : 'legal holds'}; check the bucket and the server version`,
      },
    );
  }
  return after;
}

/** A held day's version gets its legal hold (the record says `legalHold` only once the server does). */
async function ensureLegalHold(ctx: ExecContext, v: RemoteObject, source: string): Promise<RemoteObject> {
  if (v.legalHold === true) return v;
  const { target } = remoteOf(ctx);
  return setAndReadBack(
    ctx,
    v,
    source,
    'legal hold',
    () => target.setLegalHold(v.key, v.versionId, true),
    (h) => h.legalHold === true,
  );
}

/** The stored version gets at least the retention the policy asks for. */
async function ensureRetention(
  ctx: ExecContext,
  v: RemoteObject,
  lock: { mode: 'COMPLIANCE' | 'GOVERNANCE'; retainUntil: Date } | undefined,
  source: string,
): Promise<RemoteObject> {
  if (lock === undefined) return v;
  const have = v.retainUntil === undefined ? 0 : Date.parse(v.retainUntil);
  if (v.lockMode !== undefined && have >= lock.retainUntil.getTime()) return v;
  const { target } = remoteOf(ctx);
  return setAndReadBack(
    ctx,
    v,
    source,
    'retention',
    () => target.retainUntil(v.key, v.versionId, lock.mode, lock.retainUntil),
    (h) => h.lockMode !== undefined && h.retainUntil !== undefined,
  );
}
