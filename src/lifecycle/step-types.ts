import type { JobName } from '../config/schema.js';
import type { Day } from '../layout/day.js';

/** The jobs that change the tree, in the order `run --once` does them. */
export const LIFECYCLE_JOBS = ['rotate', 'compress', 'archive', 'purge'] as const satisfies readonly JobName[];
export type LifecycleJob = (typeof LIFECYCLE_JOBS)[number];

interface DayStepBase {
  dataset: string;
  day: Day;
  /** Age of the day in UTC days at the run's instant. */
  age: number;
  job: LifecycleJob | 'recover';
}

/** Removes a leftover `*.tmp` of an interrupted write. */
export interface CleanupTmpStep {
  kind: 'cleanup-tmp';
  job: 'recover';
  path: string;
}

/** Finishes (or rolls back) a move whose source was marked `pendingDelete`. */
export interface FinishPendingStep extends DayStepBase {
  kind: 'finish-pending';
  source: string;
  successor: string;
}

export interface QuarantineStep extends DayStepBase {
  kind: 'quarantine';
  path: string;
  reason: string;
}

export interface PrecreateStep extends DayStepBase {
  kind: 'precreate';
  path: string;
  /** The database is already there without a record: the step only records it. */
  exists?: true;
}

export interface SealStep extends DayStepBase {
  kind: 'seal';
  path: string;
  bytes: number;
}

export interface BackupStep extends DayStepBase {
  kind: 'backup';
  source: string;
  dest: string;
  bytes: number;
  /** Why: no backup yet, or one that does not match the sealed file (copied live by the older scripts). */
  reason: 'missing' | 'mismatch';
}

/** Verifies a `.db.zst` that tickdb did not make (the older scripts' `zstd`) and records its hashes. */
export interface AdoptZstStep extends DayStepBase {
  kind: 'adopt-zst';
  path: string;
  bytes: number;
}

export interface CompressStep extends DayStepBase {
  kind: 'compress';
  source: string;
  dest: string;
  bytes: number;
  level: number;
  /** Why the day is compressed before compressAfterDays (its file system is low), for the audit trail. */
  early?: string;
}

export interface ArchiveStep extends DayStepBase {
  kind: 'archive';
  source: string;
  dest: string;
  bytes: number;
  /** Why the day is archived before archiveAfterDays (the db tier's file system is low), for the audit trail. */
  early?: string;
}

/** Uploads a day's verified `.db.zst` to the S3 archive (or finishes an upload a crash interrupted). */
export interface UploadStep extends DayStepBase {
  kind: 'upload';
  source: string;
  bytes: number;
}

/** Purges a day whose only copy is in the S3 archive: the object version, once its retention has passed. */
export interface PurgeRemoteStep extends DayStepBase {
  kind: 'purge-remote';
  key: string;
  versionId: string;
  retainUntil?: string | undefined;
  /** The day also has local files (a kept local copy), which the day's local purge step deletes after this one. */
  localToo: boolean;
  reason: string;
}

/**
 * Brings the Object Lock of a day's object version in line with the config (DESIGN 12): extends its retention to
 * `retainUntil` (never shortens it) and/or sets or lifts its legal hold.
 */
export interface ObjectLockStep extends DayStepBase {
  kind: 'object-lock';
  key: string;
  versionId: string;
  /** The new retain-until (ISO-8601), later than the recorded one; absent: retention stays. */
  retainUntil?: string | undefined;
  /** The legal hold to set (true, with the hold's reason) or lift (false); absent: the hold stays. */
  legalHold?: boolean | undefined;
  reason: string;
}

export interface PurgeStep extends DayStepBase {
  kind: 'purge';
  paths: string[];
  bytes: number;
  reason: string;
}

export interface PurgeBackupStep extends DayStepBase {
  kind: 'purge-backup';
  path: string;
  bytes: number;
  reason: string;
}

export type Step =
  | CleanupTmpStep
  | FinishPendingStep
  | QuarantineStep
  | PrecreateStep
  | SealStep
  | BackupStep
  | AdoptZstStep
  | CompressStep
  | ArchiveStep
  | UploadStep
  | PurgeRemoteStep
  | ObjectLockStep
  | PurgeStep
  | PurgeBackupStep;

/** Something the planner decided not to do, and why (reported, not a failure unless `blocking`). */
export interface PlanNote {
  dataset?: string;
  day?: Day;
  job: LifecycleJob | 'recover';
  kind: 'held' | 'quarantined' | 'not-due' | 'refused' | 'anomaly';
  message: string;
  /** A refusal that makes the job fail (exit 1) until an operator acts (`--force`, fixing the clock). */
  blocking?: boolean;
}

export interface Plan {
  today: Day;
  steps: Step[];
  notes: PlanNote[];
}

export function stepKey(step: Step): string | undefined {
  return 'dataset' in step ? `${step.dataset}/${step.day}` : undefined;
}
