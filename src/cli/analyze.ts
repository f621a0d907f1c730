import { resolve } from 'node:path';
import { Command } from 'commander';
import { analyzeFile, type AnalyzeReport } from '../inspect/analyze.js';
import { analyzeDay } from '../inspect/analyze-day.js';
import { parseDay } from '../layout/day.js';
import { scanTiers } from '../layout/scan.js';
import { pathExists } from '../fs/path-exists.js';
import { readMetadata } from '../store/metadata.js';
import { action, addCommonOptions, printJson, type CliRuntime } from './context.js';
import { formatBytes } from '../format-bytes.js';
import { formatTable } from './format.js';

function formatReport(r: AnalyzeReport): string {
  const d = r.database;
  const rows: [string, string][] = [];
  if (r.zst !== undefined) {
    rows.push([
      'kind',
      `zstd-compressed SQLite database (${r.zst.frames} frame${r.zst.frames === 1 ? '' : 's'}, seek table: ${r.zst.seekTable ? 'yes' : 'no'})`,
    ]);
    rows.push(['file', `${formatBytes(r.bytes)}  sha256 ${r.sha256}`]);
    rows.push(['content', `${formatBytes(r.zst.contentBytes)}  sha256 ${r.zst.contentSha256}`]);
  } else {
    rows.push(['kind', 'SQLite database']);
    rows.push(['file', `${formatBytes(r.bytes)}  sha256 ${r.sha256}`]);
  }
  rows.push([
    'sqlite',
    `page size ${d.pageSize ?? '?'}, ${d.pageCount ?? '?'} pages, ${d.freelistCount ?? '?'} free; journal mode ${d.journalMode ?? '?'}; last written by SQLite ${r.header.writtenBy ?? 'unknown'}`,
  ]);
  if (r.sideFiles !== undefined) {
    const s = r.sideFiles;
    const wal =
      s.walBytes === null
        ? 'no -wal'
        : `-wal ${formatBytes(s.walBytes)}${s.walBytes > 0 ? ' (rows not yet checkpointed: a writer has it open, or crashed)' : ''}`;
    rows.push([
      'side files',
      `${wal}; ${s.shm ? '-shm present' : 'no -shm'}${s.journalBytes === null ? '' : `; hot -journal ${formatBytes(s.journalBytes)}`}`,
    ]);
  }
  rows.push(['integrity', d.integrity.ok ? 'ok' : `FAILED: ${d.integrity.problems.slice(0, 5).join('; ')}`]);
  if (d.timeRange !== null && d.timeRange.min === null) {
    rows.push(['time range', `${d.timeRange.table}.${d.timeRange.column}: no rows`]);
  } else if (d.timeRange !== null) {
    const t = d.timeRange;
    rows.push(['time range', `${t.table}.${t.column}: ${t.min ?? '-'} .. ${t.max ?? '-'} (ns)`]);
    rows.push(['', `${t.minIso ?? '-'} .. ${t.maxIso ?? '-'}`]);
  } else {
    rows.push(['time range', 'no tick table with a timestamp column']);
  }
  if (d.symbols !== null && d.symbols.count > 0)
    rows.push([
      'symbols',
      `${d.symbols.count} (most rows: ${d.symbols.top.map((s) => `${s.symbol} ${s.rows}`).join(', ')})`,
    ]);
  if (r.recorded !== undefined) {
    const rec = r.recorded;
    const match = (m: boolean | null, what: string): string =>
      m === null ? '' : `, ${what} ${m ? 'matches' : 'DIFFERS from'} the recorded one`;
    rows.push([
      'recorded',
      `${rec.key}: ${rec.state}${match(rec.sha256Matches, 'database SHA-256')}${match(rec.zstSha256Matches, '.zst SHA-256')}`,
    ]);
  }
  if (r.analysedCopy && r.kind === 'db')
    rows.push(['note', 'a private copy was analysed so that nothing is created beside the file']);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [r.path, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`), ''];
  lines.push(
    formatTable(
      ['table', 'rows'],
      d.tables.map((t) => [t.name, t.rows === null ? '?' : String(t.rows)]),
    ),
  );
  if (d.indexes.length > 0) lines.push(`indexes: ${d.indexes.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function analyzeCommand(runtime: CliRuntime): Command {
  const cmd = new Command('analyze')
    .description(
      'describe a .db or a .db.zst (or a DAY, wherever it is, the S3 archive included): tables, row counts, time range, symbols, page/freelist stats, journal mode, integrity, SHA-256 (read-only; a .zst is decompressed to a temp folder outside the tiers; exit 1 when the file is damaged)',
    )
    .argument(
      '<path-or-day>',
      'a .db or .db.zst file, or a day YYYY-MM-DD (its copy in db/ or archive/, or its object in the S3 archive)',
    )
    .option('--dataset <prefix>', 'dataset of DAY (default the first configured)');
  addCommonOptions(cmd);
  cmd.action(
    action(runtime, 'analyze', async (ctx, arg: string) => {
      // What the tree records for the day named by the file, if there is a tree: a comparison, never a requirement.
      const read = await readMetadata(ctx.dirs, ctx.now).catch(() => undefined);
      const opts = {
        datasets: ctx.config.datasets,
        dirs: ctx.dirs,
        threads: ctx.config.compressionThreads,
        metadata: read?.found === true ? read.metadata : undefined,
      };
      const day = parseDay(arg);
      const report =
        day !== undefined && !(await pathExists(resolve(arg)))
          ? await analyzeDay(
              ctx.config,
              await scanTiers(
                ctx.dirs,
                ctx.config.datasets.map((d) => d.prefix),
              ),
              opts,
              cmd.opts<{ dataset?: string }>().dataset ?? ctx.config.datasets[0]?.prefix ?? 'ticks',
              day,
            )
          : await analyzeFile(resolve(arg), opts);
      if (ctx.json) printJson(ctx, report);
      else ctx.out(formatReport(report));
      return report.ok ? 0 : 1;
    }),
  );
  return cmd;
}
