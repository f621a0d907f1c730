import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { TickdbError } from '../errors.js';
import type { Day } from '../layout/day.js';
import type { TierScan } from '../layout/scan.js';
import { dayKey, fileNameFor } from '../layout/tiers.js';
import type { Metadata } from '../store/metadata-types.js';
import { decompressFile } from '../zstd/index.js';
import { fetchRemoteDay } from './fetch-remote.js';
import { remoteOnlyRecord } from './remote-day.js';

export interface ArchivedZst {
  /** A local `.db.zst` to read: the archive tier's file, or the S3 object downloaded into the scratch folder. */
  path: string;
  /** Where the bytes come from, for messages and the audit trail. */
  source: string;
  /** True when downloaded from the S3 archive (size and SHA-256 checked against the record as it streamed). */
  downloaded: boolean;
}

/** A day of the tree, and the private temp folder (outside the tiers) where a download may go. */
export interface ArchivedDayRequest {
  config: Config;
  scan: TierScan;
  metadata: Metadata;
  dataset: string;
  day: Day;
  scratch: string;
}

/**
 * The archived `.db.zst` of a day: the local archive tier's file when there is one, else, for a day whose only
 * copy is in the S3 archive, its recorded object version downloaded into `scratch` through fetchRemoteDay (the
 * same path as `decompress`, `query` and drills: verified as it streams). Undefined when the day has neither.
 */
export async function archivedZst({
  config,
  scan,
  metadata,
  dataset,
  day,
  scratch,
}: ArchivedDayRequest): Promise<ArchivedZst | undefined> {
  const local = scan.days.get(dayKey(dataset, day))?.archive;
  if (local !== undefined) return { path: local.path, source: local.path, downloaded: false };
  const rec = remoteOnlyRecord(scan, metadata, day, dataset);
  if (rec?.remote === undefined) return undefined;
  const path = join(scratch, fileNameFor(dataset, day, 'zst'));
  await fetchRemoteDay(config, rec, path);
  return {
    path,
    source: `s3://${rec.remote.bucket}/${rec.remote.key} (version ${rec.remote.versionId})`,
    downloaded: true,
  };
}

/**
 * The day's database decompressed from its archived `.db.zst` (archivedZst) into `scratch`, for `restore --from
 * archive`, which then checks it like a backup (integrity, recorded SHA-256) before anything in the tree changes.
 */
export async function archivedDatabase(req: ArchivedDayRequest): Promise<{ path: string; source: string }> {
  const { config, dataset, day, scratch } = req;
  const zst = await archivedZst(req);
  if (zst === undefined)
    throw new TickdbError('NOT_FOUND', `no archived copy of ${dataset} ${day} in archive/ or the S3 archive`, {
      hint: 'see `tickdb inventory`; a day not yet archived is restored from its backup (--from backup)',
    });
  const path = join(scratch, fileNameFor(dataset, day, 'db'));
  await decompressFile(zst.path, path, { threads: config.compressionThreads });
  if (zst.downloaded) await rm(zst.path, { force: true });
  return { path, source: zst.source };
}
