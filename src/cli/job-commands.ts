import { Command } from 'commander';
import type { LifecycleJob } from '../lifecycle/step-types.js';
import { action, addCommonOptions, withTreeLock, type CliRuntime } from './context.js';
import { runJobsCommand } from './jobs-output.js';

const DESCRIPTIONS: Record<LifecycleJob, string> = {
  rotate: "pre-create today's and tomorrow's databases; seal and back up past days",
  compress: 'compress sealed days past compressAfterDays (verified before the .db goes); adopt older .db.zst files',
  archive: 'move compressed days past archiveAfterDays to the archive tier',
  purge: 'delete days past purgeAfterDays from every tier, and backups past backupRetentionDays',
};

/** `tickdb rotate|compress|archive|purge`: one job, now. */
export function jobCommand(job: LifecycleJob): (runtime: CliRuntime) => Command {
  return (runtime) => {
    const cmd = new Command(job).description(DESCRIPTIONS[job]);
    if (job === 'purge')
      cmd.option('--force', 'lift the purge guards (maxPurgeDaysPerRun, clock behind the data); never a legal hold');
    addCommonOptions(cmd, { dryRun: true });
    cmd.action(
      action(runtime, job, async (ctx) => {
        const force = cmd.opts<{ force?: boolean }>().force === true;
        return withTreeLock(ctx, job, () => runJobsCommand(ctx, [job], force));
      }),
    );
    return cmd;
  };
}
