import type { Config } from '../config/schema.js';
import { dayOf } from '../layout/day.js';
import { dayPath, type TierDirs } from '../layout/tiers.js';
import { readWal, type WalScanState } from '../sqlite/wal-file.js';
import { mergeSamples, readWalSamples, writeWalSamples, type WalSample } from './wal-samples.js';

/**
 * Samples today's `-wal` of every dataset and appends the samples to `db/wal_samples.json` (the caller holds the
 * tree lock: the agent, or `run --once`). Only bytes are read: no SQLite connection touches the writer's file.
 * `scans` keeps, per file, where the last scan stopped, so that a long-running agent reads each frame once.
 */
export class WalSampler {
  private readonly scans = new Map<string, WalScanState>();

  async sample(config: Pick<Config, 'datasets'>, dirs: TierDirs, now: Date): Promise<WalSample[]> {
    const day = dayOf(now);
    const fresh: WalSample[] = [];
    const seen = new Set<string>();
    for (const { prefix } of config.datasets) {
      const path = dayPath(dirs, 'db', prefix, day, 'db');
      seen.add(path);
      const r = await readWal(path, this.scans.get(path));
      if (r.state !== undefined) this.scans.set(path, r.state);
      else this.scans.delete(path);
      if (r.wal.walBytes === 0 && r.writer === undefined) continue; // no database for today yet
      fresh.push({
        dataset: prefix,
        day,
        at: now.toISOString(),
        walBytes: r.wal.walBytes,
        committedFrames: r.wal.committedFrames,
        ...(r.wal.generation !== undefined ? { generation: r.wal.generation } : {}),
        ...(r.wal.backfilledFrames !== undefined ? { backfilledFrames: r.wal.backfilledFrames } : {}),
        ...(r.writer !== undefined ? { writer: r.writer } : {}),
      });
    }
    for (const path of this.scans.keys()) if (!seen.has(path)) this.scans.delete(path); // yesterday's file
    const kept = await readWalSamples(dirs);
    const samples = mergeSamples(kept, fresh, now);
    await writeWalSamples(dirs, samples);
    return fresh;
  }
}
