import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { scanTiers } from '../layout/scan.js';
import type { TierDirs } from '../layout/tiers.js';
import { DayStore } from '../lifecycle/day-store.js';
import { catchUpCheckpoint } from '../store/audit.js';
import { readMetadata, requireMetadataFound } from '../store/metadata.js';
import type { RemoteCopySource } from './drill-types.js';
import { runDrill, type DrillReport, type DrillRequest } from './run-drill.js';

export interface DrillTreeContext {
  config: Config;
  dirs: TierDirs;
  clock: Clock;
  remote?: RemoteCopySource | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((text: string) => void) | undefined;
}

/**
 * A drill of the tree (the caller holds the tree lock): the metadata must be usable (a drill proves copies against
 * it; rebuilding it is the lifecycle's job), audit lines a crash left beyond the checkpoint are chained on, and the
 * tiers are scanned once.
 */
export async function drillTree(ctx: DrillTreeContext, req: DrillRequest): Promise<DrillReport> {
  const now = ctx.clock.now();
  const metadata = requireMetadataFound(await readMetadata(ctx.dirs, now), ctx.dirs);
  if (!req.dryRun) metadata.audit = await catchUpCheckpoint(ctx.dirs, metadata.audit);
  const scan = await scanTiers(
    ctx.dirs,
    ctx.config.datasets.map((d) => d.prefix),
  );
  const store = new DayStore(ctx.dirs, metadata, ctx.clock);
  return runDrill(
    {
      config: ctx.config,
      clock: ctx.clock,
      store,
      scan,
      remote: ctx.remote,
      signal: ctx.signal,
      onProgress: ctx.onProgress,
    },
    req,
  );
}
