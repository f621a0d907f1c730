import { scanTiers, type TierScan } from '../layout/scan.js';
import type { TierDirs } from '../layout/tiers.js';
import type { Metadata } from './metadata-types.js';
import { readMetadata } from './metadata.js';

/**
 * The tier folders and the metadata as one consistent view, for a reader that takes no lock (query, verify) while
 * the agent may be moving days: the metadata is read before and after the scan until both reads agree, so that no
 * metadata write fell inside the scan. A move records its intent before its rename and its end after its delete
 * (lifecycle/move-protocol.ts), so such a scan shows the files of one step of it, which the metadata then
 * explains. `tries` reads at most; the last view stands, with `settled` false.
 */
export async function settledView(
  dirs: TierDirs,
  datasets: readonly string[],
  now: Date,
  tries = 3,
): Promise<{ metadata: Metadata; scan: TierScan; settled: boolean }> {
  let before = JSON.stringify((await readMetadata(dirs, now)).metadata);
  for (let attempt = 1; ; attempt++) {
    const scan = await scanTiers(dirs, datasets);
    const { metadata } = await readMetadata(dirs, now);
    const after = JSON.stringify(metadata);
    if (after === before || attempt >= tries) return { metadata, scan, settled: after === before };
    before = after;
  }
}
