import type { Day } from '../layout/day.js';

export const METADATA_SCHEMA_VERSION = 1;

export type DayState = 'live' | 'sealed' | 'compressed' | 'archived' | 'purged' | 'quarantined';

export interface Quarantine {
  reason: string;
  path: string;
  at: string;
  /** The state the day was in when it was quarantined, restored on release. */
  previousState: DayState;
}

/** The day's verified Parquet file in the research lake (DESIGN 15). */
export interface ParquetRecord {
  path: string;
  sha256: string;
  bytes: number;
  rows: number;
  rowGroups: number;
  exportedAt: string;
}

export interface DayRecord {
  dataset: string;
  day: Day;
  state: DayState;
  /** SHA-256 and size of the sealed database: the day's identity in every tier. */
  sha256?: string;
  bytes?: number;
  zstSha256?: string;
  zstBytes?: number;
  rows?: number;
  /** Nanosecond timestamps as decimal strings (they exceed 2^53). */
  minTs?: string | null;
  maxTs?: string | null;
  createdAt?: string;
  sealedAt?: string;
  backupSha256?: string;
  backedUpAt?: string;
  compressedAt?: string;
  archivedAt?: string;
  purgedAt?: string;
  /** A source file to delete once its verified successor is in place (crash recovery finishes the job). */
  pendingDelete?: string;
  quarantine?: Quarantine;
  /** First time the seal found a writer still holding the day. */
  busySince?: string;
  /** Where the record came from when it was not written by a job (`rebuild`, `adopted`). */
  origin?: string;
  /** Set once the day is exported to Parquet and verified; kept when the day is purged (the lake is elsewhere). */
  parquet?: ParquetRecord;
  /** The last restore drill of the day (src/drill): each stored copy restored and checked. */
  drill?: DrillRecord;
  /** The day's `.db.zst` in the S3 archive (DESIGN 12): written once, verified by reading it back. */
  remote?: RemoteRecord;
  /** An upload under way (intent recorded before it starts): a restart finds whether it completed. */
  pendingUpload?: { bucket: string; key: string; at: string };
  /** The purge found the object still under retention until this date; reported once, retried each run. */
  purgeDeferredUntil?: string;
}

/** What a restore drill found for each copy of a day. */
export interface DrillRecord {
  at: string;
  ok: boolean;
  copies: { tier: string; location: string; ok: boolean; message: string }[];
}

/** One object version in the S3 archive. */
export interface RemoteRecord {
  target: 's3';
  bucket: string;
  key: string;
  versionId: string;
  etag: string;
  bytes: number;
  /** SHA-256 of the object's bytes as read back (equal to the day's zstSha256). */
  sha256: string;
  lockMode?: 'COMPLIANCE' | 'GOVERNANCE';
  retainUntil?: string;
  legalHold?: boolean;
  uploadedAt: string;
  verifiedAt: string;
  /**
   * Set when the record was recovered from the bucket by a metadata rebuild (DESIGN 12): where its SHA-256 came
   * from, the user metadata tickdb stores with each object, or the object's bytes read back and hashed.
   */
  recovered?: { at: string; sha256From: 'object-metadata' | 'read-back' };
}

export interface JobOutcome {
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  /** What the job did, e.g. `{ sealed: 2, busy: 1 }`. */
  counts: Record<string, number>;
  errors: string[];
  lastSuccessAt?: string;
}

export interface AuditCheckpoint {
  lastHash: string;
  count: number;
}

/** Totals of the S3 archive, for the metrics (counters survive restarts). */
export interface RemoteTotals {
  uploadedBytes: number;
  uploadFailures: number;
}

/**
 * The Object Lock policy last brought onto the bucket's objects (DESIGN 12): the lock sync runs only when the
 * config's differs from it.
 */
export interface ObjectLockApplied {
  mode: 'COMPLIANCE' | 'GOVERNANCE';
  /** Days of retention per dataset: max(purgeAfterDays, minimumRetentionDays). */
  retentionDays: Record<string, number>;
  /** The legal holds (without their reasons), as configured. */
  holds: { dataset?: string; day?: string; from?: string; to?: string }[];
  appliedAt: string;
}

/** The last day of the audit trail written to the bucket (DESIGN 12): `PREFIX` + `_audit/YYYY-MM-DD.jsonl`. */
export interface AuditAnchorRecord {
  day: string;
  /** The chain's head after that day: the seq and hash of its last line. */
  seq: number;
  hash: string;
  key: string;
  versionId: string;
  at: string;
  /** Every day before this one (inclusive) is anchored or had no line: the next pass reads nothing until a new day. */
  checkedThrough: string;
}

export interface Metadata {
  schemaVersion: typeof METADATA_SCHEMA_VERSION;
  tool: 'tickdb';
  updatedAt: string;
  days: Record<string, DayRecord>;
  jobs: Record<string, JobOutcome>;
  audit: AuditCheckpoint;
  /** Absent until the first upload to an S3 archive. */
  remoteTotals?: RemoteTotals;
  /** Absent until the first lifecycle run with an S3 target under Object Lock. */
  objectLockApplied?: ObjectLockApplied;
  /** Absent until the audit trail's first day is written to an S3 archive. */
  auditAnchor?: AuditAnchorRecord;
}

export const GENESIS_HASH = '0'.repeat(64);

export function emptyMetadata(now: Date): Metadata {
  return {
    schemaVersion: METADATA_SCHEMA_VERSION,
    tool: 'tickdb',
    updatedAt: now.toISOString(),
    days: {},
    jobs: {},
    audit: { lastHash: GENESIS_HASH, count: 0 },
  };
}
