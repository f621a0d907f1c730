import type { Day } from '../layout/day.js';
import type { DayFiles, TierFile, TierScan } from '../layout/scan.js';
import { dayKey } from '../layout/tiers.js';
import type { DayRecord, Metadata } from '../store/metadata-types.js';
import type { DaySource, FailedDay, MissingDay } from './query-types.js';

export interface DayPlan {
  /** The days to read, in day order. */
  sources: DaySource[];
  missing: MissingDay[];
  failed: FailedDay[];
  /**
   * Days whose files and record disagree (found twice, or missing while the record says a copy exists): what a
   * scan made while the agent moved the day can show. run-query.ts plans them again from a settled view.
   */
  unsettled: Day[];
}

/**
 * The copies of a day a query may read: not backups, and not the source of a move (`pendingDelete`) once its
 * successor is in place. While the successor is not yet renamed into place, the source is the day's only copy.
 */
function readableCopies(files: DayFiles, rec: DayRecord | undefined): TierFile[] {
  const all = [files.db, files.zst, files.archive, files.archiveDb, ...files.extra.filter((f) => f.tier !== 'backup')];
  const present = all.filter((f): f is TierFile => f !== undefined);
  const others = present.filter((f) => f.path !== rec?.pendingDelete);
  return others.length > 0 ? others : present;
}

/** The record says a copy of the day exists (a day only in S3 is planned before this is asked). */
function recordedLocally(rec: DayRecord | undefined): boolean {
  return rec !== undefined && rec.state !== 'purged';
}

function missingNote(files: DayFiles | undefined, rec: DayRecord | undefined): string | undefined {
  if (rec?.state === 'purged') return `purged${rec.purgedAt !== undefined ? ` on ${rec.purgedAt.slice(0, 10)}` : ''}`;
  if (files?.backup !== undefined)
    return `only a backup is left (${files.backup.path}): tickdb restore ${files.backup.day} --from backup`;
  return undefined;
}

function sourceOf(file: TierFile, rec: DayRecord | undefined): DaySource {
  const recorded = { sha256: rec?.sha256, bytes: rec?.bytes };
  if (file.kind === 'zst') {
    return {
      kind: 'compressed',
      day: file.day,
      tier: file.tier === 'archive' ? 'archive' : 'db',
      path: file.path,
      zstBytes: file.bytes,
      zstSha256: rec?.zstSha256,
      ...recorded,
    };
  }
  // A plain .db: sealed when its record says so (then its size is checked, and its hash with --verify); otherwise
  // a live or not yet sealed day, read in place on a read-only connection that sees the rows in its -wal.
  const sealed = rec !== undefined && rec.state !== 'live' && rec.sha256 !== undefined && rec.sealedAt !== undefined;
  return sealed
    ? { kind: 'sealed', day: file.day, path: file.path, ...recorded }
    : { kind: 'live', day: file.day, path: file.path };
}

/**
 * Decides where each day of the range is read from, from the tier scan and the metadata. A day with no readable
 * file is missing (purged, never written, only a backup left); a quarantined day, or one found in two places
 * without a recorded move between them, fails.
 */
export function planDays(scan: TierScan, metadata: Metadata, dataset: string, days: readonly Day[]): DayPlan {
  const plan: DayPlan = { sources: [], missing: [], failed: [], unsettled: [] };
  for (const day of days) {
    const files = scan.days.get(dayKey(dataset, day));
    const rec = metadata.days[dayKey(dataset, day)];
    if (rec?.state === 'quarantined') {
      plan.failed.push({
        day,
        message: `${dataset} ${day} is quarantined: ${rec.quarantine?.reason ?? 'no reason recorded'}`,
        path: rec.quarantine?.path,
        hint: `see tickdb quarantine list; the day is read again once released (tickdb quarantine release ${day})`,
      });
      continue;
    }
    const copies = files === undefined ? [] : readableCopies(files, rec);
    const first = copies[0];
    if (first === undefined && rec?.remote !== undefined && rec.state === 'archived') {
      // Only in the S3 archive (DESIGN 12): fetched, verified and decompressed like a local .db.zst.
      const { bucket, key, bytes } = rec.remote;
      plan.sources.push({
        kind: 'compressed',
        day,
        tier: 's3',
        path: `s3://${bucket}/${key}`,
        sha256: rec.sha256,
        bytes: rec.bytes,
        zstBytes: bytes,
        zstSha256: rec.zstSha256 ?? rec.remote?.sha256,
        record: rec,
      });
    } else if (first === undefined) {
      const note = missingNote(files, rec);
      plan.missing.push(note === undefined ? { day } : { day, note });
      if (recordedLocally(rec)) plan.unsettled.push(day);
    } else if (copies.length > 1) {
      plan.unsettled.push(day);
      plan.failed.push({
        day,
        message: `${dataset} ${day} is present ${copies.length} times: ${copies.map((c) => c.path).join(', ')}`,
        path: first.path,
        hint: 'the next tickdb run quarantines it; keep the right copy and release it',
      });
    } else {
      plan.sources.push(sourceOf(first, rec));
    }
  }
  return plan;
}
