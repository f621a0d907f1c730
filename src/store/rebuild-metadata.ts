import type { TierScan } from '../layout/scan.js';
import { dayKey } from '../layout/tiers.js';
import { verifyAudit } from './audit.js';
import type { TierDirs } from '../layout/tiers.js';
import { emptyMetadata, type DayRecord, type Metadata } from './metadata-types.js';

/**
 * Rebuilds the metadata from the files on disk. Nothing is trusted that was not verified: a `.db` is recorded as
 * `live` (the seal establishes its hash), a `.db.zst` without a verified record as compressed/archived without
 * hashes (adoption decompresses and checks it). From a usable previous document it keeps what the disk cannot
 * tell: hashes that still match a file's size, quarantines, purged days, days only in the S3 archive, job
 * outcomes.
 */
export async function rebuildMetadata(
  dirs: TierDirs,
  scan: TierScan,
  previous: Metadata | undefined,
  now: Date,
): Promise<Metadata> {
  const meta = emptyMetadata(now);
  const old = previous?.days ?? {};
  for (const [key, files] of scan.days) {
    const prior = old[key];
    const primary = files.db ?? files.zst ?? files.archive ?? files.archiveDb;
    if (primary === undefined) {
      if (prior !== undefined) meta.days[key] = prior;
      continue;
    }
    const rec: DayRecord = { dataset: files.dataset, day: files.day, state: 'live', origin: 'rebuild' };
    if (primary === files.db) {
      const sealedBefore =
        prior?.sha256 !== undefined && prior.bytes === primary.bytes && !primary.hasWal && prior.state !== 'live';
      if (sealedBefore && prior !== undefined) Object.assign(rec, prior, { state: 'sealed', origin: prior.origin });
    } else {
      rec.state = primary.tier === 'archive' ? 'archived' : 'compressed';
      if (prior?.zstSha256 !== undefined && prior.zstBytes === primary.bytes)
        Object.assign(rec, prior, { state: rec.state, origin: prior.origin });
    }
    if (prior?.quarantine !== undefined) Object.assign(rec, { state: 'quarantined', quarantine: prior.quarantine });
    if (files.backup !== undefined && prior?.backupSha256 !== undefined && prior.backupSha256 === rec.sha256) {
      rec.backupSha256 = prior.backupSha256;
      if (prior.backedUpAt !== undefined) rec.backedUpAt = prior.backedUpAt;
    }
    if (prior?.pendingDelete !== undefined) {
      // An interrupted move: keep the intent and the successor's hash so that recovery can finish it.
      Object.assign(rec, {
        pendingDelete: prior.pendingDelete,
        zstSha256: prior.zstSha256,
        zstBytes: prior.zstBytes,
        sha256: prior.sha256,
        bytes: prior.bytes,
      });
    }
    meta.days[dayKey(files.dataset, files.day)] = rec;
  }
  for (const [key, prior] of Object.entries(old)) {
    // No file on disk: a purged day, or a day whose only copy is in the S3 archive (DESIGN 12), which the disk
    // cannot tell about (the caller may recover more records from the bucket).
    if (meta.days[key] === undefined && (prior.state === 'purged' || prior.remote !== undefined))
      meta.days[key] = prior;
  }
  if (previous !== undefined) meta.jobs = previous.jobs;
  // The S3 archive's counters (metrics) are not on disk: a usable previous document keeps them.
  if (previous?.remoteTotals !== undefined) meta.remoteTotals = previous.remoteTotals;
  const trail = await verifyAudit(dirs, undefined);
  meta.audit = { lastHash: trail.lastHash, count: trail.lines };
  return meta;
}
