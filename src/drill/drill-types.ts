import type { Day } from '../layout/day.js';
import type { DayRecord } from '../store/metadata-types.js';

/** Where a stored copy of a day lives. `s3` is the remote archive tier (issue 17), reached through a RemoteCopySource. */
export type CopyTier = 'db' | 'backup' | 'archive' | 's3';

/** One stored copy of a sealed day: a plain database (`db`) or its zstd compression (`zst`). */
export interface StoredCopy {
  tier: CopyTier;
  kind: 'db' | 'zst';
  /** A local path, or the remote source's name for the object (e.g. `s3://bucket/key`). */
  location: string;
  bytes?: number;
}

/**
 * The remote tier's side of a drill (the seam for the S3 archive target): the copy the metadata records there, and
 * its bytes. Local tiers need none of this.
 */
export interface RemoteCopySource {
  readonly tier: 's3';
  /** The remote copy of a day as the metadata records it (no request), if there is one. */
  copyOf(rec: DayRecord): StoredCopy | undefined;
  /** Writes the copy's bytes to `dest` (a scratch file the drill removes); CORRUPT when they do not match the record. */
  download(rec: DayRecord, dest: string, signal?: AbortSignal): Promise<void>;
}

/** What restoring one copy showed. */
export interface CopyCheck {
  tier: CopyTier;
  location: string;
  ok: boolean;
  /** The copy itself is bad (a failed drill): it is quarantined. False when it could not be checked (I/O, no space). */
  bad: boolean;
  message: string;
  rows?: number;
  ms: number;
}

/** A drill of one day: every copy checked, recorded in the day's metadata and the audit trail. */
export interface DayDrill {
  dataset: string;
  day: Day;
  copies: CopyCheck[];
  ok: boolean;
  /** Why the day could not be drilled at all (no recorded hash, quarantined), if so. */
  skipped?: string;
  quarantined: boolean;
}
