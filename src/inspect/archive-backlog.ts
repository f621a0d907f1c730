import type { Config } from '../config/schema.js';
import { effectiveThresholds } from '../config/schema.js';
import { ageOf, type Day } from '../layout/day.js';
import type { TierScan } from '../layout/scan.js';
import type { Metadata } from '../store/metadata-types.js';

/** Days past archiveAfterDays still waiting in their local tier for the S3 archive (DESIGN 12). */
export interface UploadBacklog {
  /** Days waiting, oldest first. */
  days: { dataset: string; day: Day; path: string; waitingDays: number }[];
  /** How long the oldest day has waited since it became due (0 with no backlog or no S3 target). */
  oldestWaitingDays: number;
}

/**
 * The upload backlog: with an S3 target, every local `.db.zst` of a day past archiveAfterDays that the bucket does
 * not hold yet (no recorded version, or an upload left unfinished). A day becomes due at archiveAfterDays; it waits
 * `age - archiveAfterDays` days. Pure.
 */
export function uploadBacklog(scan: TierScan, metadata: Metadata, config: Config, today: Day): UploadBacklog {
  const days: UploadBacklog['days'] = [];
  if (config.archiveTarget?.type !== 's3') return { days, oldestWaitingDays: 0 };
  const datasets = new Map(config.datasets.map((d) => [d.prefix, d]));
  for (const [key, files] of scan.days) {
    const dataset = datasets.get(files.dataset);
    const local = files.zst ?? files.archive;
    if (dataset === undefined || local === undefined) continue;
    const rec = metadata.days[key];
    if (rec?.state === 'quarantined' || (rec?.remote !== undefined && rec.pendingUpload === undefined)) continue;
    const t = effectiveThresholds(config, dataset);
    const age = ageOf(files.day, today);
    if (age < t.archiveAfterDays || age >= t.purgeAfterDays) continue;
    days.push({ dataset: files.dataset, day: files.day, path: local.path, waitingDays: age - t.archiveAfterDays });
  }
  days.sort((a, b) => b.waitingDays - a.waitingDays);
  return { days, oldestWaitingDays: days[0]?.waitingDays ?? 0 };
}
