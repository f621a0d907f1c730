import { Command } from 'commander';
import { dayOf } from '../layout/day.js';
import { simulateDays } from '../simulate/simulate-days.js';
import { action, addCommonOptions, printJson, usageError, withTreeLock, type CliRuntime } from './context.js';
import { formatTable } from './format.js';
import { progressReporter } from './progress.js';

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${name} ${JSON.stringify(value)} must be a positive integer`);
  return n;
}

export function simulateCommand(runtime: CliRuntime): Command {
  const cmd = new Command('simulate')
    .description('create N past days (ages 1..N) of realistic tick data as a writer leaves them (WAL, unsealed)')
    .requiredOption('--days <n>', 'number of past days')
    .option('--rows <n>', 'ticks per day', '20000')
    .option('--dataset <prefix>', 'dataset (file prefix); default the first configured');
  addCommonOptions(cmd);
  cmd.action(
    action(runtime, 'simulate', async (ctx) => {
      const opts = cmd.opts<{ days: string; rows: string; dataset?: string }>();
      const days = positiveInt('--days', opts.days);
      const rows = positiveInt('--rows', opts.rows);
      const dataset =
        opts.dataset === undefined
          ? ctx.config.datasets[0]
          : ctx.config.datasets.find((d) => d.prefix === opts.dataset);
      if (dataset === undefined)
        throw usageError(`--dataset ${JSON.stringify(opts.dataset)} is not a configured dataset`);
      const progress = progressReporter('simulate');
      const made = await withTreeLock(ctx, 'simulate', () =>
        simulateDays(ctx.dirs, dataset, dayOf(ctx.now), days, rows, ctx.logger, (done, total) =>
          progress.update(`day ${done}/${total}`),
        ),
      );
      progress.done();
      if (ctx.json) printJson(ctx, made);
      else
        ctx.out(
          `${formatTable(
            ['day', 'rows', 'created', 'path'],
            made.map((m) => [m.day, String(m.rows), m.created ? 'yes' : 'exists', m.path]),
          )}\n`,
        );
      return 0;
    }),
  );
  return cmd;
}
