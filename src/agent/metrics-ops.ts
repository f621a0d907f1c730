import type { Config } from '../config/schema.js';
import { computeBacklog } from '../inspect/status/backlog.js';
import { drillStaleness } from '../inspect/status/drill-checks.js';
import { dayOf } from '../layout/day.js';
import type { TierScan } from '../layout/scan.js';
import { dayKey, type TierDirs } from '../layout/tiers.js';
import type { MetadataRead } from '../store/metadata.js';
import { AUTOCHECKPOINT_FRAMES, assessWal } from '../wal/wal-assess.js';
import { readWalSamples } from '../wal/wal-samples.js';
import type { OpsMetrics } from './metrics-render.js';

export interface OpsSources {
  config: Config;
  dirs: TierDirs;
  now: Date;
  scan: TierScan;
  metadata: MetadataRead;
}

/**
 * The operations metrics (issue 21): the last restore drill, today's WAL per dataset (size from the scan; growth
 * without a checkpoint and the writer's SQLite from the agent's samples) and the backlog per dataset, computed by
 * the same planner rules as `status`.
 */
export async function collectOpsMetrics(src: OpsSources): Promise<OpsMetrics> {
  const { metadata } = src.metadata;
  const drill = metadata.jobs.drill;
  const today = dayOf(src.now);
  const samples = await readWalSamples(src.dirs).catch(() => []);
  const wal = src.config.datasets.flatMap(({ prefix }) => {
    const file = src.scan.days.get(dayKey(prefix, today))?.db;
    if (file === undefined) return [];
    const a = assessWal(samples, prefix, today, src.now);
    const pastThreshold =
      !a.stale && a.growth !== undefined && a.growth.toFrames > AUTOCHECKPOINT_FRAMES && a.checkpointBehind;
    return [
      {
        dataset: prefix,
        walBytes: file.walBytes,
        growingSeconds: pastThreshold ? Math.floor(a.growingMs / 1000) : 0,
        ...(a.writer?.valid === true ? { writerVersion: a.writer.number } : {}),
      },
    ];
  });
  const backlog = computeBacklog({
    now: src.now,
    config: src.config,
    dirs: src.dirs,
    scan: src.scan,
    metadata: src.metadata,
  });
  return {
    ...(drill === undefined
      ? {}
      : {
          drill: {
            lastRunAt: new Date(drill.finishedAt),
            lastRunOk: drill.ok,
            ...(drill.lastSuccessAt !== undefined ? { lastSuccessAt: new Date(drill.lastSuccessAt) } : {}),
          },
        }),
    drillStale: drillStaleness(metadata, src.now)?.stale === true,
    wal,
    ...(backlog.computed
      ? {
          backlog: src.config.datasets.map(({ prefix }) => ({
            dataset: prefix,
            count: backlog.overdue.filter((d) => d.dataset === prefix).length,
          })),
        }
      : {}),
  };
}
