import { Command } from 'commander';
import { dayKey } from '../layout/tiers.js';
import { s3DrillSource } from '../agent/s3-drill-source.js';
import { drillTree } from '../drill/drill-tree.js';
import type { DrillReport } from '../drill/run-drill.js';
import {
  action,
  addCommonOptions,
  printJson,
  usageError,
  withTreeLock,
  type CliRuntime,
  type CommandContext,
} from './context.js';
import { formatTable } from './format.js';
import { progressReporter } from './progress.js';
import { datasetArgument, dayArgument } from './restore.js';

const HELP = `
A restore drill proves that stored days can be brought back. Each copy is restored into a scratch folder under
$TMPDIR (a .db.zst is decompressed; a .db is read where it is, read-only), integrity-checked, and its SHA-256,
size, row count and first/last timestamp compared with the metadata.
  tickdb drill              the scheduled drill: one day per tier (db, backup, archive), at random, weighted
                            towards the oldest (--seed N replays a choice)
  tickdb drill DAY          every stored copy of that day
A copy that fails quarantines its day, and the command exits 1 naming the day. The outcome is recorded on the
day, in the audit trail and as the drill job's outcome (status, metrics).`;

function printReport(ctx: CommandContext, r: DrillReport): void {
  if (ctx.json) {
    printJson(ctx, r);
    return;
  }
  if (r.dryRun) {
    const rows = r.planned.flatMap((p) => p.copies.map((c) => [p.key, c.tier, c.location]));
    if (rows.length > 0) ctx.out(`${formatTable(['day', 'tier', 'copy'], rows)}\n`);
    ctx.out(`${rows.length} copies would be restored and checked (dry run, nothing changed)\n`);
  } else {
    const rows = r.days.flatMap((d) =>
      d.copies.map((c) => [
        dayKey(d.dataset, d.day),
        c.tier,
        c.ok ? 'ok' : c.bad ? 'FAILED' : 'NOT CHECKED',
        `${(c.ms / 1000).toFixed(1)} s`,
        `${c.location}: ${c.message}`,
      ]),
    );
    if (rows.length > 0) ctx.out(`${formatTable(['day', 'tier', 'result', 'time', 'detail'], rows)}\n`);
    const quarantined = r.days.filter((d) => d.quarantined).map((d) => dayKey(d.dataset, d.day));
    if (quarantined.length > 0) ctx.out(`quarantined: ${quarantined.join(', ')}\n`);
    ctx.out(
      `${rows.length} copies of ${r.days.length} days checked: ${r.ok ? 'all restored and verified' : 'FAILED'}\n`,
    );
  }
  for (const n of r.notes) ctx.out(`note: ${n}\n`);
  if (r.seed !== undefined) ctx.out(`seed ${r.seed} (--seed ${r.seed} replays this choice)\n`);
}

export function drillCommand(runtime: CliRuntime): Command {
  const cmd = new Command('drill')
    .description('restore drill: restore stored copies to a scratch place and check them against the metadata')
    .argument('[day]', 'the day, YYYY-MM-DD: every stored copy of it (default: one day per tier, at random)')
    .option('--dataset <prefix>', 'dataset (file prefix); needed with DAY when several are configured')
    .option('--seed <n>', 'seed of the random choice of the scheduled drill (printed by each run)')
    .addHelpText('after', HELP);
  addCommonOptions(cmd, { dryRun: true });
  cmd.action(
    action(runtime, 'drill', async (ctx, dayText: string | undefined) => {
      const opts = cmd.opts<{ dataset?: string; seed?: string }>();
      const target =
        dayText === undefined
          ? undefined
          : { dataset: datasetArgument(ctx, opts.dataset).prefix, day: dayArgument(dayText) };
      let seed: number | undefined;
      if (opts.seed !== undefined) {
        seed = Number(opts.seed);
        if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
          throw usageError(`--seed ${JSON.stringify(opts.seed)} is not an integer from 0 to 4294967295`);
        if (target !== undefined)
          throw usageError('--seed is for the scheduled drill (no DAY): a drill of a day checks every copy');
      }
      const progress = progressReporter('drill');
      let report: DrillReport;
      try {
        report = await withTreeLock(ctx, 'drill', () =>
          drillTree(
            {
              config: ctx.config,
              dirs: ctx.dirs,
              clock: ctx.clock,
              remote: s3DrillSource(ctx.config),
              onProgress: (t) => progress.update(t),
            },
            {
              ...(target !== undefined ? { target } : {}),
              ...(seed !== undefined ? { seed } : {}),
              dryRun: ctx.dryRun,
            },
          ),
        );
      } finally {
        progress.done();
      }
      printReport(ctx, report);
      if (report.ok) return 0;
      const failed = report.days.filter((d) => !d.ok).map((d) => dayKey(d.dataset, d.day));
      runtime.stderr(
        `tickdb drill: error: the drill of ${failed.join(', ')} failed: ${report.job?.errors.slice(0, 3).join('; ') ?? ''}\n`,
      );
      return 1;
    }),
  );
  return cmd;
}
