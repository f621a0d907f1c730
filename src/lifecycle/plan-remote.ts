import type { Config, DatasetConfig } from '../config/schema.js';
import { effectiveThresholds } from '../config/schema.js';
import { ageOf, type Day } from '../layout/day.js';
import type { TierScan } from '../layout/scan.js';
import type { DayRecord, Metadata } from '../store/metadata-types.js';
import { holdFor } from './legal-hold.js';
import type { LifecycleJob, PlanNote, PurgeRemoteStep, Step, UploadStep } from './step-types.js';

/** What the planner needs to know of an S3 archive target (DESIGN 12). */
export interface S3Plan {
  keepLocalCopy: boolean;
}

export function s3PlanOf(config: Config): S3Plan | undefined {
  const t = config.archiveTarget;
  return t?.type === 's3' ? { keepLocalCopy: t.keepLocalCopy } : undefined;
}

/**
 * The upload of a day's local `.db.zst` (in db/ or in the local archive tier), unless the bucket already holds
 * the verified version and the local copy is meant to stay. With a recorded version and a local copy that should
 * be gone (a run killed between the audit line and the delete), the step checks the object again and deletes.
 */
export function uploadStep(
  base: { dataset: string; day: Day; age: number },
  record: DayRecord | undefined,
  source: string,
  bytes: number,
  s3: S3Plan,
  madeNow: boolean,
): UploadStep | undefined {
  const uploaded = !madeNow && record?.remote !== undefined && record.remote.sha256 === record.zstSha256;
  if (uploaded && s3.keepLocalCopy && record?.pendingUpload === undefined) return undefined;
  return { ...base, kind: 'upload', job: 'archive', source, bytes };
}

export function purgeRemoteStep(
  base: { dataset: string; day: Day; age: number },
  rec: DayRecord,
  reason: string,
  localToo: boolean,
): PurgeRemoteStep | undefined {
  if (rec.remote === undefined) return undefined;
  const { key, versionId, retainUntil } = rec.remote;
  return { ...base, kind: 'purge-remote', job: 'purge', key, versionId, retainUntil, localToo, reason };
}

/**
 * Days whose only copy is in the bucket (no local file): purged once past purgeAfterDays (the object version,
 * when its retention has passed), unless under legal hold. A purge audited but interrupted before the version
 * was deleted (state purged, version still recorded) is finished.
 */
export function planRemoteOnly(
  input: { scan: TierScan; metadata: Metadata; config: Config; want: (job: LifecycleJob) => boolean },
  today: Day,
  datasets: ReadonlyMap<string, DatasetConfig>,
  purgeSteps: Step[],
  notes: PlanNote[],
): void {
  for (const [key, rec] of Object.entries(input.metadata.days).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (rec.remote === undefined || input.scan.days.has(key) || !input.want('purge')) continue;
    const dataset = datasets.get(rec.dataset);
    if (dataset === undefined || rec.state === 'quarantined') continue;
    const t = effectiveThresholds(input.config, dataset);
    const age = ageOf(rec.day, today);
    const base = { dataset: rec.dataset, day: rec.day, age };
    if (rec.state === 'purged') {
      const step = purgeRemoteStep(base, rec, 'finishing an interrupted purge', false);
      if (step !== undefined) purgeSteps.push(step);
      continue;
    }
    if (age < t.purgeAfterDays) continue;
    const hold = holdFor(input.config.legalHolds, rec.dataset, rec.day);
    if (hold !== undefined) {
      notes.push({
        ...base,
        job: 'purge',
        kind: 'held',
        message: `${key} (in the S3 archive) is past purgeAfterDays (${t.purgeAfterDays}) but under legal hold: ${hold.reason}`,
      });
      continue;
    }
    const step = purgeRemoteStep(base, rec, `age ${age} >= purgeAfterDays ${t.purgeAfterDays}`, false);
    if (step !== undefined) purgeSteps.push(step);
  }
}
