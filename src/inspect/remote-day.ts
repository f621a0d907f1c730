import { parseDay } from '../layout/day.js';
import type { TierScan } from '../layout/scan.js';
import { dayKey } from '../layout/tiers.js';
import type { DayRecord, Metadata } from '../store/metadata-types.js';

/** The record of DAY when its only copy is in the S3 archive (no local file of the day), else undefined. */
export function remoteOnlyRecord(
  scan: TierScan,
  metadata: Metadata,
  arg: string,
  dataset: string,
): DayRecord | undefined {
  const day = parseDay(arg);
  if (day === undefined) return undefined;
  const key = dayKey(dataset, day);
  const files = scan.days.get(key);
  if (files?.zst !== undefined || files?.archive !== undefined || files?.db !== undefined) return undefined;
  const rec = metadata.days[key];
  return rec?.remote !== undefined && rec.state === 'archived' ? rec : undefined;
}
