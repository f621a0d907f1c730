import { basename } from 'node:path';
import { openS3Target } from '../archive-target/open-target.js';
import { readBackDigest } from '../archive-target/read-back.js';
import type { ArchiveTarget, ListedVersion, RemoteObject } from '../archive-target/target.js';
import type { Config } from '../config/schema.js';
import { parseFileName } from '../layout/file-name.js';
import { dayKey } from '../layout/tiers.js';
import type { DayRecord, Metadata, RemoteRecord } from '../store/metadata-types.js';

/** What a rebuild found in the bucket. */
export interface RemoteRecovery {
  location: string;
  /** Object versions listed under the datasets' prefixes. */
  versions: number;
  /** Days whose record (or whose record's S3 object) came back from the bucket. */
  recovered: string[];
  /** Of those, the days whose SHA-256 was not stored with the object: read back and hashed. */
  hashed: string[];
  /** Days whose recorded version is in the bucket: left as they were. */
  kept: number;
  /** Objects not recovered, with the reason (a purged day's object, a key that is not a day's). */
  skipped: { key: string; reason: string }[];
}

/** The version a rebuild records for a key: the one matching a known SHA-256, else the newest. */
async function chooseVersion(
  target: ArchiveTarget,
  versions: ListedVersion[],
  zstSha256: string | undefined,
): Promise<RemoteObject | undefined> {
  const newestFirst = [...versions].sort((a, b) =>
    a.isLatest !== b.isLatest ? (a.isLatest ? -1 : 1) : a.lastModified < b.lastModified ? 1 : -1,
  );
  let first: RemoteObject | undefined;
  for (const v of newestFirst) {
    const h = await target.head(v.key, v.versionId);
    if (h === undefined) continue;
    first ??= h;
    if (zstSha256 === undefined || h.sha256 === zstSha256) return h;
  }
  return first;
}

/**
 * Recovers the S3 archive's records into rebuilt metadata (DESIGN 12): lists every object version under
 * `PREFIX` + `DATASET/` for each dataset, and for each day's key records the version (the one whose SHA-256
 * matches the record's `.zst`, else the newest) with its version id, ETag, size, retention, legal hold and
 * SHA-256. The SHA-256 is the one tickdb stores with each object (user metadata `sha256`, checked by reading the
 * object back when it was uploaded); an object without it is read back and hashed now. A day with no record is
 * recorded `archived` (the sealed database's hash, size and rows too, when stored with the object); a day
 * recorded from local files gets its `remote` back and keeps its state. A purged day's object is not attached
 * (a rebuild never makes a purge delete anything): it is reported.
 */
export async function recoverRemoteRecords(
  target: ArchiveTarget,
  datasets: readonly string[],
  metadata: Metadata,
  now: Date,
): Promise<RemoteRecovery> {
  const out: RemoteRecovery = {
    location: target.location,
    versions: 0,
    recovered: [],
    hashed: [],
    kept: 0,
    skipped: [],
  };
  const at = now.toISOString();
  for (const dataset of datasets) {
    const listed = await target.list(`${target.prefix}${dataset}/`);
    out.versions += listed.length;
    const byKey = new Map<string, ListedVersion[]>();
    for (const v of listed) byKey.set(v.key, [...(byKey.get(v.key) ?? []), v]);
    for (const [key, versions] of [...byKey].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const parsed = parseFileName(basename(key));
      if (parsed?.ok !== true || parsed.kind !== 'zst' || target.keyFor(dataset, parsed.day) !== key) {
        out.skipped.push({ key, reason: `not a day's key of dataset ${dataset}` });
        continue;
      }
      const name = dayKey(dataset, parsed.day);
      const rec: DayRecord | undefined = metadata.days[name];
      if (rec?.remote?.key === key && versions.some((v) => v.versionId === rec.remote?.versionId)) {
        out.kept += 1;
        continue;
      }
      if (rec?.state === 'purged') {
        out.skipped.push({ key, reason: `${name} is recorded purged; its object is left for the operator` });
        continue;
      }
      const obj = await chooseVersion(target, versions, rec?.zstSha256);
      if (obj === undefined) continue;
      const listedAs = versions.find((v) => v.versionId === obj.versionId);
      let sha256 = obj.sha256;
      let sha256From: 'object-metadata' | 'read-back' = 'object-metadata';
      if (sha256 === undefined) {
        const back = await readBackDigest(target, key, obj.versionId);
        sha256 = back.sha256;
        sha256From = 'read-back';
        out.hashed.push(name);
      }
      const uploadedAt = listedAs?.lastModified ?? at;
      const remote: RemoteRecord = {
        target: 's3',
        bucket: target.bucket,
        key,
        versionId: obj.versionId,
        etag: obj.etag,
        bytes: obj.bytes,
        sha256,
        ...(obj.lockMode !== undefined ? { lockMode: obj.lockMode } : {}),
        ...(obj.retainUntil !== undefined ? { retainUntil: obj.retainUntil } : {}),
        ...(obj.legalHold !== undefined ? { legalHold: obj.legalHold } : {}),
        uploadedAt,
        verifiedAt: sha256From === 'read-back' ? at : uploadedAt,
        recovered: { at, sha256From },
      };
      if (rec !== undefined) {
        rec.remote = remote;
      } else {
        metadata.days[name] = {
          dataset,
          day: parsed.day,
          state: 'archived',
          origin: 'rebuild',
          zstSha256: sha256,
          zstBytes: obj.bytes,
          ...(obj.daySha256 !== undefined ? { sha256: obj.daySha256 } : {}),
          ...(obj.dayBytes !== undefined ? { bytes: obj.dayBytes } : {}),
          ...(obj.rows !== undefined ? { rows: obj.rows } : {}),
          archivedAt: uploadedAt,
          remote,
        };
      }
      out.recovered.push(name);
    }
  }
  return out;
}

/** Opens the configured S3 archive (none: undefined), recovers its records into `metadata`, closes it. */
export async function recoverFromBucket(
  config: Config,
  metadata: Metadata,
  now: Date,
): Promise<RemoteRecovery | undefined> {
  const c = config.archiveTarget;
  if (c?.type !== 's3') return undefined;
  const target = await openS3Target(c);
  try {
    return await recoverRemoteRecords(
      target,
      config.datasets.map((d) => d.prefix),
      metadata,
      now,
    );
  } finally {
    target.close();
  }
}
