import { rm } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { TickdbError } from '../errors.js';
import type { Day } from '../layout/day.js';
import type { TierScan } from '../layout/scan.js';
import { dayKey } from '../layout/tiers.js';
import { analyzeFile, type AnalyzeOptions, type AnalyzeReport } from './analyze.js';
import { archivedZst } from './archived-day.js';
import { scratchDir } from './scratch-dir.js';

/**
 * `analyze DAY`: the day's local copy (its `.db.zst` in db/ or archive/, else its `.db`), or, for a day whose
 * only copy is in the S3 archive, its object version downloaded into a private temp folder (verified against
 * the record as it streams) and analysed there; the report's path then names the object.
 */
export async function analyzeDay(
  config: Config,
  scan: TierScan,
  opts: AnalyzeOptions,
  dataset: string,
  day: Day,
): Promise<AnalyzeReport> {
  const files = scan.days.get(dayKey(dataset, day));
  const local = files?.zst ?? files?.archive ?? files?.db ?? files?.archiveDb;
  if (local !== undefined) return analyzeFile(local.path, opts);
  const dir = await scratchDir(opts.dirs, 'analyze');
  try {
    const zst =
      opts.metadata === undefined
        ? undefined
        : await archivedZst({ config, scan, metadata: opts.metadata, dataset, day, scratch: dir });
    if (zst === undefined)
      throw new TickdbError('NOT_FOUND', `no copy of ${dataset} ${day} in db/, archive/ or the S3 archive`, {
        hint: 'see `tickdb inventory`; a purged day is gone',
      });
    return { ...(await analyzeFile(zst.path, opts)), path: zst.source };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
