import { Command } from 'commander';
import { isInsideTier } from '../layout/locate-day.js';
import { exportDays } from '../export/export-days.js';
import { lakeRoot } from '../export/lake-path.js';
import { formatBytes } from '../format-bytes.js';
import { action, addCommonOptions, printJson, usageError, withTreeLock, type CliRuntime } from './context.js';
import { formatTable } from './format.js';
import { progressReporter } from './progress.js';
import { parseDay, type Day } from '../layout/day.js';

const HELP = `
Each day becomes DIR/dataset=NAME/date=YYYY-MM-DD/part-0.parquet (Hive layout; {host} in DIR is this host's
name), ordered by symbol and timestamp, ZSTD, verified by DuckDB against the SQLite day before it counts, and
recorded in the metadata and the audit trail with its SHA-256. A day already exported and intact is skipped.
Defaults for DIR, row groups and level come from the config's "export" section.

  tickdb export --from 2026-11-01 --to 2026-11-30 --dir /lake/{host}
  duckdb -c "SELECT * FROM read_parquet('/lake/*/**/*.parquet', hive_partitioning = true) WHERE date = '2026-11-02'"
`;

function dayArgument(name: string, text: string): Day {
  const day = parseDay(text);
  if (day === undefined) throw usageError(`${name} ${JSON.stringify(text)} is not a valid YYYY-MM-DD date`);
  return day;
}

export function exportCommand(runtime: CliRuntime): Command {
  const cmd = new Command('export')
    .description('export sealed days to Parquet (a research lake for DuckDB, Polars, Spark), verified and recorded')
    .requiredOption('--from <day>', 'first day (YYYY-MM-DD)')
    .requiredOption('--to <day>', 'last day (YYYY-MM-DD)')
    .option('--dir <dir>', 'root of the lake (default: the config export.dir)')
    .option('--dataset <prefix>', 'only this dataset (default: every configured one)')
    .option('--force', 'rewrite days already exported')
    .addHelpText('after', HELP);
  addCommonOptions(cmd);
  cmd.action(
    action(runtime, 'export', async (ctx) => {
      const opts = cmd.opts<{ from: string; to: string; dir?: string; dataset?: string; force?: boolean }>();
      const from = dayArgument('--from', opts.from);
      const to = dayArgument('--to', opts.to);
      if (to < from) throw usageError(`--to ${to} is before --from ${from}`);
      const dir = opts.dir ?? ctx.config.export?.dir;
      if (dir === undefined) throw usageError('no lake directory: give --dir or set export.dir in the config');
      const root = lakeRoot(dir);
      if (isInsideTier(ctx.dirs, root) || root === ctx.dirs.root)
        throw usageError(`the lake ${root} is inside the tree ${ctx.dirs.root}`, 'export to a directory of its own');
      const datasets =
        opts.dataset === undefined ? ctx.config.datasets : ctx.config.datasets.filter((d) => d.prefix === opts.dataset);
      if (datasets.length === 0)
        throw usageError(`--dataset ${JSON.stringify(opts.dataset)} is not a configured dataset`);
      const progress = progressReporter('export');
      const report = await withTreeLock(ctx, 'export', () =>
        exportDays(ctx, {
          from,
          to,
          datasets,
          settings: {
            root,
            rowGroupRows: ctx.config.export?.rowGroupRows ?? 131_072,
            compressionLevel: ctx.config.export?.compressionLevel ?? 3,
            threads: ctx.config.compressionThreads,
            threadsFromBytes: ctx.config.export?.threadsFromBytes ?? 33_554_432,
            force: opts.force === true,
          },
          onDay: (done, total, current) => progress.update(`${current} (${done + 1}/${total})`),
        }),
      );
      progress.done();
      if (ctx.json) printJson(ctx, report);
      else {
        const rows = report.days.map((d) => [
          d.dataset,
          d.day,
          d.status,
          'rows' in d && d.rows !== undefined ? String(d.rows) : '',
          'bytes' in d && d.bytes !== undefined ? formatBytes(d.bytes) : '',
          d.message,
        ]);
        ctx.out(`${formatTable(['dataset', 'day', 'export', 'rows', 'size', 'detail'], rows)}\n`);
        ctx.out(
          `lake ${report.root}: ${Object.entries(report.counts)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')}\n`,
        );
      }
      return report.ok ? 0 : 1;
    }),
  );
  return cmd;
}
