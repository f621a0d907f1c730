import { effectiveThresholds, type Config } from '../config/schema.js';
import { ageOf, type Day } from '../layout/day.js';
import type { TierScan } from '../layout/scan.js';
import { dayKey } from '../layout/tiers.js';
import type { DayRecord, Metadata } from '../store/metadata-types.js';

/** The file systems of the db and archive tiers, measured by the caller (the planner does no I/O). */
export interface DiskFacts {
  db: { device: number; totalBytes: number; availableBytes: number };
  archive?: { device: number };
}

/** Days to compress or archive before their age asks for it, each with the reason written to the audit trail. */
export interface EarlyRelief {
  compress: Map<string, string>;
  archive: Map<string, string>;
  /** The archive tier is on another file system: an early compression goes straight there (nothing left in db/). */
  archiveElsewhere: boolean;
}

export const NO_RELIEF: EarlyRelief = { compress: new Map(), archive: new Map(), archiveElsewhere: false };

/** Compressed size / sealed size assumed for a dataset with no compressed day yet (tick data measures 0.3-0.35). */
const DEFAULT_RATIO = 0.5;

function observedRatio(records: readonly DayRecord[], dataset: string): number {
  let bytes = 0;
  let zst = 0;
  for (const r of records) {
    if (r.dataset !== dataset || r.bytes === undefined || r.zstBytes === undefined) continue;
    bytes += r.bytes;
    zst += r.zstBytes;
  }
  return bytes > 0 ? Math.min(1, zst / bytes) : DEFAULT_RATIO;
}

export interface EarlyInput {
  scan: TierScan;
  metadata: Metadata;
  config: Config;
  today: Day;
  disk: DiskFacts | undefined;
}

/**
 * Early relief when the db tier's file system is below `diskSpace.warnFreePercent` (pure). Candidates, oldest
 * day first: sealed days younger than `compressAfterDays` (never today, never an unsealed or busy day, never a
 * quarantined one or one with a move pending) are compressed; when the archive tier is on another file system,
 * compressed days in db/ younger than `archiveAfterDays` are archived too, and early compressions go straight to
 * the archive tier. Candidates are taken until the bytes they free (estimated with the dataset's compression ratio
 * so far) bring the file system back to the threshold.
 */
export function earlyRelief(input: EarlyInput): EarlyRelief {
  const { disk, config } = input;
  if (disk === undefined || disk.db.totalBytes <= 0) return NO_RELIEF;
  const warn = config.diskSpace.warnFreePercent;
  const pct = (disk.db.availableBytes / disk.db.totalBytes) * 100;
  if (pct >= warn) return NO_RELIEF;
  let needed = Math.ceil((warn / 100) * disk.db.totalBytes) - disk.db.availableBytes;
  const archiveElsewhere = disk.archive !== undefined && disk.archive.device !== disk.db.device;
  const relief: EarlyRelief = { compress: new Map(), archive: new Map(), archiveElsewhere };
  const why = `the db tier's file system is ${pct.toFixed(1)}% free, below diskSpace.warnFreePercent (${warn}%)`;
  const records = Object.values(input.metadata.days);
  const datasets = new Map(config.datasets.map((d) => [d.prefix, d]));
  const days = [...input.scan.days.values()].sort(
    (a, b) => a.day.localeCompare(b.day) || a.dataset.localeCompare(b.dataset),
  );
  for (const files of days) {
    if (needed <= 0) break;
    const dataset = datasets.get(files.dataset);
    const key = dayKey(files.dataset, files.day);
    const rec = input.metadata.days[key];
    const age = ageOf(files.day, input.today);
    if (
      dataset === undefined ||
      rec === undefined ||
      age < 1 ||
      rec.pendingDelete !== undefined ||
      rec.state === 'quarantined'
    )
      continue;
    if (files.archive !== undefined || files.archiveDb !== undefined || files.extra.some((f) => f.tier !== 'backup'))
      continue;
    const t = effectiveThresholds(config, dataset);
    const db = files.db;
    const zst = files.zst;
    if (db !== undefined && zst === undefined && age < t.compressAfterDays) {
      const sealed = rec.state === 'sealed' && rec.sha256 !== undefined && rec.bytes === db.bytes && !db.hasWal;
      if (!sealed) continue;
      relief.compress.set(key, `${why}: compressed at age ${age}, before compressAfterDays (${t.compressAfterDays})`);
      needed -= archiveElsewhere ? db.bytes : Math.floor(db.bytes * (1 - observedRatio(records, files.dataset)));
    } else if (zst !== undefined && db === undefined && archiveElsewhere && age < t.archiveAfterDays) {
      if (rec.zstSha256 === undefined || rec.zstBytes !== zst.bytes) continue;
      relief.archive.set(key, `${why}: archived at age ${age}, before archiveAfterDays (${t.archiveAfterDays})`);
      needed -= zst.bytes;
    }
  }
  return relief;
}
