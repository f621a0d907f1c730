import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.js';
import type { Config, LegalHold } from '../config/schema.js';
import { describeError, isTickdbError } from '../errors.js';
import type { TierDirs } from '../layout/tiers.js';
import { runJobs } from '../lifecycle/run-jobs.js';
import { LIFECYCLE_JOBS, type LifecycleJob } from '../lifecycle/step-types.js';
import type { Logger } from '../log.js';
import { readMetadata } from '../store/metadata.js';
import { updateMetricsFile } from './metrics-collect.js';

export interface AgentContext {
  config: Config;
  dirs: TierDirs;
  clock: Clock;
  logger: Logger;
}

export interface LifecyclePassOptions {
  ctx: AgentContext;
  /** The configuration as it is now (SIGHUP may have replaced it). */
  config: () => Config;
  /** Legal holds as they are now: re-read from the config file before each purge. */
  currentHolds: () => readonly LegalHold[];
  /** Aborted when the agent stops: the job under way stops before its next step. */
  signal: AbortSignal;
  startedAt: () => Date | undefined;
}

/**
 * What the agent does when it wakes: a lifecycle pass (runJobs: the planner decides what is due, the executor
 * does it and records each job's outcome in metadata) and the metrics file. A failing job is logged with its
 * errors and counted; it is retried at its next slot, and the agent goes on.
 */
export class LifecyclePass {
  /** Failed runs in a row per job, for the metrics. */
  readonly failures = new Map<string, number>();

  constructor(private readonly o: LifecyclePassOptions) {}

  /** Starts the failure counts from the last recorded outcomes (a job that failed before a restart shows 1). */
  async seedFailures(): Promise<void> {
    try {
      const { metadata } = await readMetadata(this.o.ctx.dirs, this.o.ctx.clock.now());
      for (const job of LIFECYCLE_JOBS) if (metadata.jobs[job]?.ok === false) this.failures.set(job, 1);
    } catch {
      // unreadable metadata is the first job's business (it keeps it aside and rebuilds)
    }
  }

  /** One pass of `jobs`; returns how many days a writer still held (busy seals), for the busy retry. */
  async runLifecycle(jobs: readonly LifecycleJob[], label: string, why: string): Promise<number> {
    const { dirs, clock, logger } = this.o.ctx;
    const config = this.o.config();
    const signal = this.o.signal;
    let busy = 0;
    if (signal.aborted) return busy;
    const started = performance.now();
    const count = (job: string, ok: boolean): void => {
      this.failures.set(job, ok ? 0 : (this.failures.get(job) ?? 0) + 1);
    };
    logger.info({ job: label, reason: why }, `${label} started`);
    try {
      const report = await runJobs(
        { config, dirs, clock, logger },
        { jobs, dryRun: config.dryRun, signal, currentHolds: this.o.currentHolds },
      );
      for (const job of jobs) {
        const outcome = report.jobs[job];
        if (outcome === undefined || signal.aborted) continue;
        count(job, outcome.ok);
        if (!outcome.ok)
          logger.error(
            { job, errors: outcome.errors },
            `${job} failed (${outcome.errors.length} error(s)); retried at its next slot`,
          );
      }
      if (report.dryRun) {
        for (const r of report.results)
          logger.info(
            {
              job: r.step.job,
              step: r.step.kind,
              ...('day' in r.step ? { day: `${r.step.dataset}/${r.step.day}` } : {}),
            },
            `dry run: ${r.outcome.message}`,
          );
      }
      const failed = report.results.filter(
        (r) => r.outcome.status === 'failed' || r.outcome.status === 'quarantined',
      ).length;
      busy = report.results.filter((r) => r.outcome.status === 'busy').length;
      logger.info(
        {
          job: label,
          reason: why,
          ok: report.ok,
          steps: report.results.length,
          failed,
          today: report.today,
          dryRun: report.dryRun,
          ms: Math.round(performance.now() - started),
          ...(signal.aborted ? { interrupted: true } : {}),
        },
        `${label} finished`,
      );
    } catch (err) {
      if (!signal.aborted) for (const job of jobs) count(job, false);
      logger.error(
        { job: label, path: isTickdbError(err) ? err.path : undefined, err: describeError(err) },
        `${label} failed: ${describeError(err)}; retried at its next slot`,
      );
    }
    await this.writeMetrics(true);
    return busy;
  }

  /** Rewrites the metrics file (not in a dry run: that changes nothing on disk). Failures are logged, not thrown. */
  async writeMetrics(up: boolean): Promise<void> {
    const { dirs, clock, logger } = this.o.ctx;
    const config = this.o.config();
    if (config.dryRun) return;
    const startedAt = this.o.startedAt();
    try {
      await updateMetricsFile({
        config,
        dirs,
        now: clock.now(),
        consecutiveFailures: this.failures,
        agent: { up, ...(startedAt !== undefined ? { startedAt } : {}) },
      });
      logger.debug({ job: 'metrics', path: dirs.metricsFile }, 'metrics written');
    } catch (err) {
      logger.error(
        { job: 'metrics', path: dirs.metricsFile, err: describeError(err) },
        `cannot write the metrics file: ${describeError(err)}`,
      );
    }
  }
}
