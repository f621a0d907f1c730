import { scanTiers, type TierScan } from '../layout/scan.js';
import type { TierDirs } from '../layout/tiers.js';
import type { Metadata } from './metadata-types.js';
import { readMetadata } from './metadata.js';

/**
 * The tier folders and the metadata as one consistent view, for a reader that takes no lock (query, verify) while
 * the agent may be moving days: the metadata is read before and after the scan until the records of `keys` (the
 * days the reader cares about, `dataset/day`) are the same in both reads, so that no step of theirs fell inside the
 * scan. A move records its intent before its rename, its new state between its rename and its delete, and its end
 * after the delete (lifecycle/move-protocol.ts), so such a scan shows the files of one step of it, which the
 * record then explains. `tries` scans at most; the last view stands, with `settled` false.
 */
export async function settledView(
  dirs: TierDirs,
  datasets: readonly string[],
  now: Date,
  keys: readonly string[],
  tries = 5,
): Promise<{ metadata: Metadata; scan: TierScan; settled: boolean }> {
  const records = (m: Metadata): string => JSON.stringify(keys.map((k) => m.days[k] ?? null));
  let before = records((await readMetadata(dirs, now)).metadata);
  for (let attempt = 1; ; attempt++) {
    const scan = await scanTiers(dirs, datasets);
    const { metadata } = await readMetadata(dirs, now);
    const after = records(metadata);
    if (after === before || attempt >= tries) return { metadata, scan, settled: after === before };
    before = after;
  }
}
