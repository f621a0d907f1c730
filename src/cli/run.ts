import { Command } from 'commander';
import { Agent } from '../agent/daemon.js';
import { updateMetricsFile } from '../agent/metrics-collect.js';
import { loadConfig } from '../config/load.js';
import { describeError } from '../errors.js';
import { LIFECYCLE_JOBS } from '../lifecycle/step-types.js';
import { WalSampler } from '../wal/sample-wal.js';
import {
  action,
  addCommonOptions,
  usageError,
  withTreeLock,
  type CliRuntime,
  type CommandContext,
  type CommonOptions,
} from './context.js';
import { holdsReader, runJobsCommand } from './jobs-output.js';

/**
 * `run --once`: all due work, a sample of today's WAL (hosts that run tickdb from cron get the WAL checks too), then
 * the metrics file; 0 when every job succeeded, 1 otherwise.
 */
async function runOnce(ctx: CommandContext, force: boolean): Promise<number> {
  return withTreeLock(ctx, 'run --once', async () => {
    const code = await runJobsCommand(ctx, LIFECYCLE_JOBS, force);
    if (ctx.dryRun) return code;
    try {
      await new WalSampler().sample(ctx.config, ctx.dirs, ctx.clock.now());
    } catch (err) {
      ctx.logger.warn({ job: 'wal', err: describeError(err) }, `cannot sample today's WAL: ${describeError(err)}`);
    }
    try {
      await updateMetricsFile({ config: ctx.config, dirs: ctx.dirs, now: ctx.clock.now(), agent: { up: false } });
    } catch (err) {
      ctx.logger.error(
        { job: 'metrics', path: ctx.dirs.metricsFile, err: describeError(err) },
        `cannot write the metrics file: ${describeError(err)}`,
      );
      return 1;
    }
    return code;
  });
}

/** The agent: runs until SIGTERM/SIGINT (exit 0 once stopped cleanly); SIGHUP re-reads the configuration. */
async function runAgent(ctx: CommandContext, opts: CommonOptions): Promise<number> {
  const agent = new Agent(
    { config: ctx.config, dirs: ctx.dirs, clock: ctx.clock, logger: ctx.logger },
    {
      reloadConfig: () =>
        loadConfig({
          configFile: ctx.loaded.file,
          flags: { root: opts.root, dryRun: opts.dryRun, logLevel: opts.logLevel },
        }).config,
      currentHolds: holdsReader(ctx),
      signals: process,
    },
  );
  await agent.start();
  await agent.stopped;
  return 0;
}

export function runCommand(runtime: CliRuntime): Command {
  const cmd = new Command('run')
    .description(
      'the agent: schedules the jobs (UTC) and catches up on missed work; --once does all due work and exits',
    )
    .option('--once', 'do all work due now and exit (0 when all succeeded, 1 otherwise)')
    .option('--force', 'with --once: lift the purge guards');
  addCommonOptions(cmd, { dryRun: true });
  cmd.action(
    action(runtime, 'run', async (ctx) => {
      const opts = cmd.opts<CommonOptions & { once?: boolean; force?: boolean }>();
      if (opts.once === true) return runOnce(ctx, opts.force === true);
      if (opts.force === true) {
        throw usageError(
          '--force is only for run --once',
          'the agent never lifts the purge guards by itself; use `tickdb run --once --force` or `tickdb purge --force`',
        );
      }
      return runAgent(ctx, opts);
    }),
  );
  return cmd;
}
