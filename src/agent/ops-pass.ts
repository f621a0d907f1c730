import { performance } from 'node:perf_hooks';
import type { Config } from '../config/schema.js';
import { describeError, isTickdbError } from '../errors.js';
import { drillTree } from '../drill/drill-tree.js';
import { s3DrillSource } from './s3-drill-source.js';
import { exportDays, scheduledRange } from '../export/export-days.js';
import { lakeRoot } from '../export/lake-path.js';
import { dayOf } from '../layout/day.js';
import { isInsideTier } from '../layout/locate-day.js';
import { readMetadata } from '../store/metadata.js';
import { isLow, readDiskFacts } from '../lifecycle/disk-facts.js';
import { WalSampler } from '../wal/sample-wal.js';
import type { AgentContext } from './lifecycle-pass.js';
import { Scheduler, type Timers } from './scheduler.js';

/** Today's WAL is sampled every 5 minutes (not configurable: the starvation check counts on it). */
export const WAL_SAMPLE_PATTERN = '*/5 * * * *';

export interface OpsPassOptions {
  ctx: AgentContext;
  /** The configuration as it is now (SIGHUP may have replaced it). */
  config: () => Config;
  signal: AbortSignal;
  writeMetrics: () => Promise<void>;
  /** Queues work on the agent's one queue (same key: not queued twice). */
  enqueue: (key: string, run: () => Promise<void>) => void;
}

/**
 * The agent's operations work beside the lifecycle (issue 21): the scheduled restore drill, the samples of today's
 * WAL, and the hourly look at the db tier's free space that starts an early compression pass. Each runs in the
 * agent's one work queue (it holds the tree lock), logs its failures and never throws.
 */
export class OpsPass {
  private readonly sampler = new WalSampler();

  constructor(private readonly o: OpsPassOptions) {}

  async drill(why: string): Promise<void> {
    const { dirs, clock, logger } = this.o.ctx;
    const config = this.o.config();
    if (this.o.signal.aborted || config.dryRun) return;
    const started = performance.now();
    logger.info({ job: 'drill', reason: why }, 'drill started');
    try {
      const remote = s3DrillSource(config);
      const r = await drillTree({ config, dirs, clock, remote, signal: this.o.signal }, { dryRun: false });
      for (const d of r.days) {
        for (const c of d.copies) {
          logger[c.ok ? 'info' : 'error'](
            { job: 'drill', day: `${d.dataset}/${d.day}`, tier: c.tier, path: c.location, ok: c.ok, ms: c.ms },
            c.message,
          );
        }
      }
      logger[r.ok ? 'info' : 'error'](
        { job: 'drill', ok: r.ok, seed: r.seed, days: r.days.length, ms: Math.round(performance.now() - started) },
        r.ok ? 'drill finished' : `drill failed: ${r.job?.errors.join('; ') ?? ''}`,
      );
    } catch (err) {
      logger.error(
        { job: 'drill', path: isTickdbError(err) ? err.path : undefined, err: describeError(err) },
        `drill failed: ${describeError(err)}`,
      );
    }
    await this.o.writeMetrics();
  }

  /**
   * The scheduled Parquet export (DESIGN 15): every recorded day from the oldest to `export.afterDays` before today
   * that has no export yet goes to the lake; nothing when `export` is not configured. Failures are logged, the
   * other days go on.
   */
  async exportLake(why: string): Promise<void> {
    const { dirs, clock, logger } = this.o.ctx;
    const config = this.o.config();
    const lake = config.export;
    if (lake === undefined || this.o.signal.aborted || config.dryRun) return;
    const root = lakeRoot(lake.dir);
    if (isInsideTier(dirs, root) || root === dirs.root) {
      logger.error({ job: 'export', path: root }, `export.dir ${root} is inside the tree; nothing exported`);
      return;
    }
    try {
      const { metadata } = await readMetadata(dirs, clock.now());
      const days = Object.values(metadata.days).map((d) => d.day);
      const range = scheduledRange(days, dayOf(clock.now()), lake.afterDays);
      if (range === undefined) return;
      const started = performance.now();
      const report = await exportDays(
        { config, dirs, clock },
        {
          ...range,
          datasets: config.datasets,
          onlyUnexported: true,
          signal: this.o.signal,
          settings: {
            root,
            rowGroupRows: lake.rowGroupRows,
            compressionLevel: lake.compressionLevel,
            threads: config.compressionThreads,
            threadsFromBytes: lake.threadsFromBytes,
            force: false,
          },
        },
      );
      for (const d of report.days) {
        if (d.status === 'exported' || d.status === 'failed')
          logger[d.status === 'failed' ? 'error' : 'info'](
            { job: 'export', day: `${d.dataset}/${d.day}`, status: d.status, path: d.path },
            d.message,
          );
      }
      logger[report.ok ? 'info' : 'error'](
        { job: 'export', reason: why, counts: report.counts, ms: Math.round(performance.now() - started) },
        report.ok ? 'export finished' : 'export failed for some days',
      );
    } catch (err) {
      logger.error(
        { job: 'export', path: isTickdbError(err) ? err.path : undefined, err: describeError(err) },
        `export failed: ${describeError(err)}`,
      );
    }
  }

  /**
   * Samples today's WAL every 5 minutes, through the work queue (the sample file is written under the agent's
   * lock, never beside a lifecycle pass that could take its `.tmp` for a leftover). A scheduler of its own, so that
   * the job schedules (and their tests) stay as configured; clock jumps are the main scheduler's business.
   */
  startSampling(timers?: Timers, monotonicMs?: () => number): { stop(): void } {
    const { clock, logger } = this.o.ctx;
    const sampling = new Scheduler<'wal-sample'>(
      { 'wal-sample': { pattern: WAL_SAMPLE_PATTERN } },
      {
        clock,
        ...(timers !== undefined ? { timers } : {}),
        ...(monotonicMs !== undefined ? { monotonicMs } : {}),
        onSlot: () => this.o.enqueue('wal-sample', () => this.sampleWal()),
        onClockJump: () => undefined,
        onError: (err) => logger.error({ job: 'wal', err: describeError(err) }, `WAL sampling: ${describeError(err)}`),
      },
    );
    sampling.start();
    return sampling;
  }

  async sampleWal(): Promise<void> {
    const { dirs, clock, logger } = this.o.ctx;
    const config = this.o.config();
    if (this.o.signal.aborted || config.dryRun) return;
    try {
      const samples = await this.sampler.sample(config, dirs, clock.now());
      logger.debug({ job: 'wal', samples }, 'wal sampled');
    } catch (err) {
      logger.warn({ job: 'wal', err: describeError(err) }, `cannot sample today's WAL: ${describeError(err)}`);
    }
  }

  /** True when the db tier's file system is below warnFreePercent: the caller then queues compress and archive. */
  async dbTierLow(): Promise<boolean> {
    const { dirs, logger } = this.o.ctx;
    return isLow(await readDiskFacts(dirs, logger), this.o.config().diskSpace.warnFreePercent);
  }
}
