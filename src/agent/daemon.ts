import type { Config, LegalHold } from '../config/schema.js';
import { describeError, isTickdbError } from '../errors.js';
import { mkdirDurable } from '../fs/mkdir-durable.js';
import { LIFECYCLE_JOBS, type LifecycleJob } from '../lifecycle/step-types.js';
import { acquireLock, type TreeLock } from '../store/lock.js';
import { agentSchedules, configWithDirsOf, dirsChanged, type ScheduledJob } from './agent-config.js';
import { BusyRetry } from './busy-retry.js';
import { LifecyclePass, type AgentContext } from './lifecycle-pass.js';
import { OpsPass } from './ops-pass.js';
import { removeLockSync } from './lock-sync.js';
import { nodeTimers, Scheduler, type Timers } from './scheduler.js';
import { installSignalHandlers, type SignalSource } from './signals.js';
import { watchTiers } from './watcher.js';
import { WorkQueue } from './work-queue.js';

export type { AgentContext };

export interface AgentOptions {
  /** Re-reads the configuration as at start (same file, environment and flags); throws when it is invalid. */
  reloadConfig: () => Config;
  /** Legal holds as they are now: re-read from the config file before each purge. */
  currentHolds: () => readonly LegalHold[];
  /** Where signals come from (the process); none when omitted (tests drive stop() themselves). */
  signals?: SignalSource;
  /** Ends the process once its state is written (the stop watchdog); default process.exit. */
  exit?: (code: number) => void;
  /**
   * Ends the process at once by a signal whose handler has been removed (default: process.kill of itself). Not
   * process.exit: that waits for the native compression call under way on a zstd worker thread (seconds).
   */
  kill?: (signal: NodeJS.Signals) => void;
  timers?: Timers;
  monotonicMs?: () => number;
  watch?: boolean;
  watchDebounceMs?: number;
  /** How long a graceful stop may take before the process is ended anyway. */
  stopTimeoutMs?: number;
}

interface Releaser {
  name: string;
  release: () => void | Promise<void>;
}

/**
 * The agent (`tickdb run`): holds the tree lock for its life, wakes at the cron slots (UTC, on the possibly
 * offset clock) and runs what the planner finds due, one job at a time; catches up at start and after a clock
 * jump; writes the metrics textfile after each job and at the status slot. A runner with start(), stop() and
 * [Symbol.asyncDispose]: everything it takes is released in reverse order through one list of releasers.
 */
export class Agent {
  private config: Config;
  private readonly releasers: Releaser[] = [];
  private readonly abort = new AbortController();
  private readonly queue: WorkQueue;
  private readonly work: LifecyclePass;
  private readonly busyRetry: BusyRetry;
  private readonly ops: OpsPass;
  private scheduler: Scheduler<ScheduledJob> | undefined;
  private lock: TreeLock | undefined;
  private startedAt: Date | undefined;
  private starting: Promise<void> | undefined;
  private removeSignalHandlers: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private stateWritten = false;
  private resolveStopped: () => void = () => undefined;
  /** Resolves once the agent has stopped and released everything. */
  readonly stopped: Promise<void>;

  constructor(
    private readonly ctx: AgentContext,
    private readonly options: AgentOptions,
  ) {
    this.config = ctx.config;
    this.queue = new WorkQueue((key, err) =>
      ctx.logger.error({ job: key, err: describeError(err) }, `${key} failed: ${describeError(err)}`),
    );
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
    this.busyRetry = new BusyRetry({
      timers: options.timers ?? nodeTimers,
      retry: () => this.enqueueJobs(['rotate'], 'busy-retry', 'a day was still held by its writer'),
    });
    this.work = new LifecyclePass({
      ctx,
      config: () => this.config,
      currentHolds: options.currentHolds,
      signal: this.abort.signal,
      startedAt: () => this.startedAt,
    });
    this.ops = new OpsPass({
      ctx,
      config: () => this.config,
      signal: this.abort.signal,
      writeMetrics: () => this.work.writeMetrics(true),
      enqueue: (key, run) => this.queue.enqueue(key, run),
    });
  }

  /** Takes the lock, starts the timers, the watcher and the signal handlers, and queues the catch-up. */
  start(): Promise<void> {
    this.starting ??= this.startUp();
    return this.starting;
  }

  private async startUp(): Promise<void> {
    const { dirs, clock, logger } = this.ctx;
    try {
      // Signal handlers first (released last): a signal at any time until the end is handled, never fatal.
      if (this.options.signals !== undefined) {
        const remove = installSignalHandlers(this.options.signals, {
          stop: (signal) => this.onStopSignal(signal),
          force: (signal) => this.hardExit(`second ${signal}: exiting at once`, signal),
          reload: () => this.reload(),
        });
        this.removeSignalHandlers = remove;
        this.releasers.push({ name: 'signal handlers', release: remove });
      }
      if (this.config.dryRun) {
        // A dry run only reads (DESIGN 6): no db/ folder, no lock, so it can run beside the agent that works.
        logger.info({ job: 'agent', root: dirs.root }, 'dry run: no lock taken, nothing will be written');
      } else {
        await mkdirDurable(dirs.db);
        const lock = await acquireLock(dirs, 'run', clock.now());
        this.lock = lock;
        this.releasers.push({ name: 'lock', release: () => lock.release() });
      }
      this.startedAt = clock.now();
      await this.work.seedFailures();

      if (this.options.watch !== false) {
        const watcher = watchTiers({
          dirs,
          logger,
          debounceMs: this.options.watchDebounceMs,
          onChange: () => this.enqueueMetrics(),
        });
        this.releasers.push({ name: 'watcher', release: () => watcher.close() });
      }
      const scheduler = new Scheduler(agentSchedules(this.config), {
        clock,
        timers: this.options.timers,
        monotonicMs: this.options.monotonicMs,
        onSlot: (job, slot) => this.onSlot(job, slot),
        onClockJump: (driftMs, now) => {
          logger.warn(
            { job: 'agent', driftMs, now: now.toISOString() },
            `the clock jumped ${Math.round(driftMs / 1000)} s (sleep, resume or time change); catching up`,
          );
          this.enqueueCatchUp('clock jump');
        },
        onError: (err) => logger.error({ job: 'agent', err: describeError(err) }, `scheduler: ${describeError(err)}`),
      });
      this.scheduler = scheduler;
      scheduler.start();
      this.releasers.push({ name: 'timers', release: () => scheduler.stop() });
      this.releasers.push({ name: 'busy retry', release: () => this.busyRetry.cancel() });
      const sampling = this.ops.startSampling(this.options.timers, this.options.monotonicMs);
      this.releasers.push({ name: 'WAL sampling timer', release: () => sampling.stop() });
      logger.info(
        {
          job: 'agent',
          root: dirs.root,
          now: clock.now().toISOString(),
          clockOffsetMs: clock.offsetMs,
          dryRun: this.config.dryRun,
          schedules: this.config.schedules,
          nextRuns: this.nextRuns(),
        },
        'agent started',
      );
      this.enqueueCatchUp('start');
    } catch (err) {
      this.lock = undefined;
      await this.releaseAll();
      throw err;
    }
  }

  /** Stops scheduling, aborts the job under way (it stops before its next step), writes state, releases. */
  stop(reason = 'stop'): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop('dispose');
  }

  /** Resolves when no work runs or waits (tests; a status probe). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** The next slot of each job, for logs and tests. */
  nextRuns(): Record<string, string> {
    return Object.fromEntries((this.scheduler?.nextRuns() ?? []).map((n) => [n.job, n.at.toISOString()]));
  }

  /** Re-reads the configuration (SIGHUP): an invalid one is logged and the running one kept. */
  reload(): void {
    const { logger } = this.ctx;
    let next: Config;
    try {
      next = this.options.reloadConfig();
      if (dirsChanged(this.config, next)) {
        logger.warn(
          { job: 'reload' },
          'root, archiveDir, backupDir and metricsFile cannot change while the agent runs; keeping them until a restart',
        );
        next = configWithDirsOf(next, this.config);
      }
      if (this.lock === undefined && !next.dryRun) {
        logger.warn(
          { job: 'reload' },
          'this agent started as a dry run and holds no lock: it stays one until a restart',
        );
        next = { ...next, dryRun: true };
      }
      this.scheduler?.setSchedules(agentSchedules(next));
    } catch (err) {
      logger.error(
        { job: 'reload', path: isTickdbError(err) ? err.path : undefined, err: describeError(err) },
        `configuration reload failed, keeping the running configuration: ${describeError(err)}`,
      );
      return;
    }
    this.config = next;
    logger.level = next.logLevel;
    logger.info(
      { job: 'reload', schedules: next.schedules, dryRun: next.dryRun, nextRuns: this.nextRuns() },
      'configuration reloaded',
    );
  }

  private onSlot(job: ScheduledJob, slot: Date): void {
    if (job === 'status') {
      this.enqueueMetrics();
      // Between the nightly jobs, a db tier below warnFreePercent gets a compress and archive pass (early relief).
      this.queue.enqueue('low-disk', async () => {
        if (await this.ops.dbTierLow())
          this.enqueueJobs(['compress', 'archive'], 'low-disk', 'db tier below warnFreePercent');
      });
    } else if (job === 'drill') {
      this.queue.enqueue('drill', () => this.ops.drill(`slot ${slot.toISOString()}`));
    } else if (job === 'export') {
      this.queue.enqueue('export', () => this.ops.exportLake(`slot ${slot.toISOString()}`));
    } else {
      this.enqueueJobs([job], job, `slot ${slot.toISOString()}`);
    }
  }

  /**
   * At start and after a clock jump: the lifecycle's due work, then the export of the days due to the lake (the
   * slot may have passed while the agent was down; days already exported are skipped). Not the restore drill:
   * it decompresses a day per tier, and two missed weeks are a status warning (DESIGN 16).
   */
  private enqueueCatchUp(why: string): void {
    this.enqueueJobs(LIFECYCLE_JOBS, 'catch-up', why);
    this.queue.enqueue('wal-sample', () => this.ops.sampleWal());
    this.queue.enqueue('export', () => this.ops.exportLake(why));
  }

  private enqueueJobs(jobs: readonly LifecycleJob[], label: string, why: string): void {
    this.queue.enqueue(label, async () => {
      const busy = await this.work.runLifecycle(jobs, label, why);
      if (!jobs.includes('rotate') || this.abort.signal.aborted) return;
      const retryInMs = this.busyRetry.record(busy);
      if (retryInMs !== undefined) {
        this.ctx.logger.warn(
          { job: 'rotate', busy, retryInMs },
          `${busy} day(s) still held by a writer; the seal is retried in ${Math.round(retryInMs / 1000)} s`,
        );
      }
    });
  }

  private enqueueMetrics(): void {
    this.queue.enqueue('metrics', () => this.work.writeMetrics(true));
  }

  private onStopSignal(signal: NodeJS.Signals): void {
    const timeoutMs = this.options.stopTimeoutMs ?? 30_000;
    const watchdog = setTimeout(() => this.hardExit(`did not stop within ${timeoutMs / 1000} s`), timeoutMs);
    // Once stopped, the watchdog no longer holds the process; should something else still hold it, it ends it.
    this.stop(signal)
      .catch((err: unknown) =>
        this.ctx.logger.error({ job: 'agent', err: describeError(err) }, `stopping failed: ${describeError(err)}`),
      )
      .finally(() => watchdog.unref());
  }

  /**
   * Ends the process now (second signal, watchdog). Every step is crash-safe, so this is safe at any point; the
   * lock is removed if it is still ours. With the state written it is exit 0; otherwise the process ends by the
   * signal itself (default action, as if it had not been handled: killed by SIGTERM, status 143), at once.
   */
  private hardExit(why: string, signal: NodeJS.Signals = 'SIGTERM'): void {
    const { logger, dirs } = this.ctx;
    logger.warn({ job: 'agent', stateWritten: this.stateWritten }, why);
    if (this.lock !== undefined) removeLockSync(dirs, this.lock.info);
    if (this.stateWritten) {
      (this.options.exit ?? ((c: number) => process.exit(c)))(0);
      return;
    }
    this.removeSignalHandlers?.();
    (this.options.kill ?? ((s: NodeJS.Signals) => process.kill(process.pid, s)))(signal);
  }

  private async shutdown(reason: string): Promise<void> {
    const { logger } = this.ctx;
    await this.starting?.catch(() => undefined); // a signal during start-up: let it finish (or fail) first
    logger.info({ job: 'agent', reason, running: this.queue.running ?? null }, 'stopping');
    this.scheduler?.stop();
    const drained = this.queue.close();
    this.abort.abort(new Error(`the agent is stopping (${reason})`));
    await drained; // the job under way has saved its metadata
    this.stateWritten = true;
    if (this.lock !== undefined) await this.work.writeMetrics(false);
    await this.releaseAll();
    logger.info({ job: 'agent', reason }, 'agent stopped');
    this.resolveStopped();
  }

  private async releaseAll(): Promise<void> {
    for (let r = this.releasers.pop(); r !== undefined; r = this.releasers.pop()) {
      try {
        await r.release();
      } catch (err) {
        this.ctx.logger.warn(
          { job: 'agent', err: describeError(err) },
          `releasing the ${r.name} failed: ${describeError(err)}`,
        );
      }
    }
  }
}
