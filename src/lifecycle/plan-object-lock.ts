import { retainUntilFor } from '../archive-target/retention.js';
import { effectiveThresholds, type Config, type LegalHold } from '../config/schema.js';
import { ageOf, dayOf } from '../layout/day.js';
import type { Metadata, ObjectLockApplied } from '../store/metadata-types.js';
import { holdFor } from './legal-hold.js';
import type { LifecycleJob, ObjectLockStep } from './step-types.js';

export interface ObjectLockPlan {
  /** The policy to record once every step succeeded (undefined: nothing to record, the bucket has no lock). */
  policy: Omit<ObjectLockApplied, 'appliedAt'> | undefined;
  /** True when the config's policy differs from the one recorded as applied: the sync runs. */
  changed: boolean;
  steps: ObjectLockStep[];
  /** Datasets whose retention shrank since it was applied: the objects keep their longer date (said once). */
  shrunk: { dataset: string; from: number; to: number }[];
}

/** Days of retention of each dataset's objects: its purgeAfterDays, never under minimumRetentionDays. */
export function retentionDaysByDataset(config: Config): Record<string, number> {
  const retentionDays: Record<string, number> = {};
  for (const d of config.datasets)
    retentionDays[d.prefix] = Math.max(effectiveThresholds(config, d).purgeAfterDays, config.minimumRetentionDays);
  return retentionDays;
}

/** The longest of those retentions: the audit trail's anchors are kept as long as the longest-kept data. */
export function longestRetention(retentionDays: Record<string, number>): number {
  return Math.max(0, ...Object.values(retentionDays));
}

/** The Object Lock policy the config asks for: mode, days of retention per dataset, the holds without reasons. */
export function objectLockPolicy(config: Config, holds: readonly LegalHold[]): ObjectLockPlan['policy'] {
  const t = config.archiveTarget;
  if (t?.type !== 's3' || t.objectLock === undefined) return undefined;
  return {
    mode: t.objectLock.mode,
    retentionDays: retentionDaysByDataset(config),
    holds: holds.map((h) => ({
      ...(h.dataset !== undefined ? { dataset: h.dataset } : {}),
      ...(h.day !== undefined ? { day: h.day } : {}),
      ...(h.from !== undefined ? { from: h.from } : {}),
      ...(h.to !== undefined ? { to: h.to } : {}),
    })),
  };
}

function samePolicy(a: ObjectLockPlan['policy'], b: ObjectLockApplied | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const { appliedAt: _, ...rest } = b;
  return JSON.stringify(a) === JSON.stringify(rest);
}

/**
 * Pure: which objects in the bucket need their retention extended or their legal hold set or lifted (DESIGN 12).
 * Nothing is planned while the config's policy equals the one recorded as applied (one comparison per pass);
 * otherwise every day recorded in the bucket is compared with what the config asks. Retention only ever grows:
 * a later date than the recorded one is planned, an earlier one is left (and the shrink reported once). With
 * `keepTestRetention` (the test hook TICKDB_FAULT=s3-retention-seconds) retention is left as written.
 */
export function planObjectLock(input: {
  metadata: Metadata;
  config: Config;
  holds: readonly LegalHold[];
  now: Date;
  job: LifecycleJob;
  keepTestRetention: boolean;
}): ObjectLockPlan {
  const policy = objectLockPolicy(input.config, input.holds);
  const applied = input.metadata.objectLockApplied;
  if (policy === undefined || samePolicy(policy, applied)) return { policy, changed: false, steps: [], shrunk: [] };
  const shrunk = Object.entries(policy.retentionDays)
    .filter(([ds, days]) => (applied?.retentionDays[ds] ?? 0) > days)
    .map(([dataset, to]) => ({ dataset, from: applied?.retentionDays[dataset] ?? to, to }));
  const steps: ObjectLockStep[] = [];
  const today = dayOf(input.now);
  for (const [, rec] of Object.entries(input.metadata.days).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const remote = rec.remote;
    const days = policy.retentionDays[rec.dataset];
    if (remote === undefined || rec.state === 'purged' || days === undefined) continue;
    const wantUntil = retainUntilFor(rec.day, days, 0);
    const haveUntil = remote.retainUntil === undefined ? 0 : Date.parse(remote.retainUntil);
    const extend =
      !input.keepTestRetention && wantUntil.getTime() > haveUntil && wantUntil.getTime() > input.now.getTime();
    const hold = holdFor(input.holds, rec.dataset, rec.day);
    const holdChange = (hold !== undefined) !== (remote.legalHold === true);
    if (!extend && !holdChange) continue;
    const why: string[] = [];
    if (extend)
      why.push(`retention ${remote.retainUntil ?? 'none'} -> ${wantUntil.toISOString()} (${days} days of retention)`);
    if (holdChange) why.push(hold !== undefined ? `legal hold: ${hold.reason}` : 'legal hold lifted from the config');
    steps.push({
      kind: 'object-lock',
      job: input.job,
      dataset: rec.dataset,
      day: rec.day,
      age: ageOf(rec.day, today),
      key: remote.key,
      versionId: remote.versionId,
      ...(extend ? { retainUntil: wantUntil.toISOString() } : {}),
      ...(holdChange ? { legalHold: hold !== undefined } : {}),
      reason: why.join('; '),
    });
  }
  return { policy, changed: true, steps, shrunk };
}
