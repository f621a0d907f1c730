import { Command } from 'commander';
import { LIFECYCLE_JOBS } from '../lifecycle/steps.js';
import { action, addCommonOptions, usageError, withTreeLock, type CliRuntime } from './context.js';
import { runJobsCommand } from './jobs-output.js';

export function runCommand(runtime: CliRuntime): Command {
  const cmd = new Command('run')
    .description('the agent: schedules the jobs (UTC) and catches up on missed work; --once does all due work and exits')
    .option('--once', 'do all work due now and exit (0 when all succeeded, 1 otherwise)')
    .option('--force', 'with --once: lift the purge guards');
  addCommonOptions(cmd, { dryRun: true });
  cmd.action(action(runtime, 'run', async (ctx) => {
    const opts = cmd.opts<{ once?: boolean; force?: boolean }>();
    if (opts.once === true) return withTreeLock(ctx, 'run --once', () => runJobsCommand(ctx, LIFECYCLE_JOBS, opts.force === true));
    throw usageError('the daemon is not available yet; use run --once');
  }));
  return cmd;
}
