import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { TickdbError } from '../errors.js';
import { pathExists } from '../fs/path-exists.js';
import { parseDay, type Day } from '../layout/day.js';
import { logs } from '../log.js';
import { isInsideTier } from '../layout/locate-day.js';
import { cacheDirFor } from '../query/cache-dir.js';
import { DEFAULT_MEMORY_BYTES, parseSize } from '../query/memory-budget.js';
import { csvSink, ndjsonSink, tableSink, type RowSink } from '../query/output/row-sink.js';
import { sqliteSink } from '../query/output/sqlite-sink.js';
import { fileTarget, streamTarget } from '../query/output/text-target.js';
import { parseParams } from '../query/params.js';
import type { CacheSpec } from '../query/query-cache.js';
import type { QueryReport } from '../query/run-query.js';
import { runQuery } from '../query/run-query.js';
import { action, addCommonOptions, usageError, type CommandContext } from './context.js';

interface QueryOptions {
  from: string;
  to?: string;
  dataset?: string;
  param: string[];
  format: 'table' | 'csv' | 'ndjson' | 'sqlite';
  output?: string;
  force?: boolean;
  memory: string;
  cache: boolean;
  verify?: boolean;
}

function dayOption(text: string, flag: string): Day {
  const day = parseDay(text);
  if (day === undefined) throw usageError(`${flag} ${JSON.stringify(text)} is not a day (YYYY-MM-DD)`);
  return day;
}

async function sinkFor(ctx: CommandContext, opts: QueryOptions): Promise<RowSink> {
  const out = opts.output === undefined ? undefined : resolve(opts.output);
  if (out !== undefined) {
    if (isInsideTier(ctx.dirs, out))
      throw usageError(`output ${out} is inside a tier of ${ctx.dirs.root}`, 'write the result elsewhere (-o)');
    if (opts.force !== true && (await pathExists(out))) {
      throw new TickdbError('REFUSED', `${out} exists; not overwritten`, {
        path: out,
        hint: 'use --force or -o another file',
      });
    }
  }
  if (opts.format === 'sqlite') {
    if (out === undefined) throw usageError('--format sqlite writes a file: give it with -o FILE');
    return sqliteSink(out);
  }
  const target = out === undefined ? streamTarget(process.stdout) : fileTarget(out);
  return opts.format === 'csv' ? csvSink(target) : opts.format === 'ndjson' ? ndjsonSink(target) : tableSink(target);
}

function cacheFor(ctx: CommandContext, opts: QueryOptions): CacheSpec | undefined {
  const { dir, maxBytes } = ctx.config.queryCache;
  if (!opts.cache || maxBytes === 0) return undefined;
  const path = cacheDirFor(dir, ctx.dirs.root);
  if (isInsideTier(ctx.dirs, path)) {
    throw new TickdbError(
      'CONFIG',
      `invalid configuration: queryCache.dir ${path} is inside a tier of ${ctx.dirs.root}`,
      { path: 'queryCache.dir', hint: 'the cache holds scratch copies: keep it out of db/, archive/ and backup/' },
    );
  }
  return { dir: path, maxBytes };
}

/**
 * `TICKDB_QUERY_WORKER_START_MS`: what the query takes a worker thread's start to cost when it decides whether local
 * days stay on the main thread (DESIGN 14); 0 puts every day on a worker. For measurements and tests.
 */
function workerStartMs(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms < 0) throw usageError(`TICKDB_QUERY_WORKER_START_MS=${text} is not a number of ms`);
  return ms;
}

/** Consecutive days as ranges: `2026-03-07..2026-03-09 (3 days)`. */
function dayRuns(days: readonly { day: Day; note?: string }[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < days.length; ) {
    let j = i;
    while (
      j + 1 < days.length &&
      days[j + 1]?.note === days[i]?.note &&
      Date.parse(days[j + 1]?.day ?? '') - Date.parse(days[j]?.day ?? '') === 86_400_000
    )
      j++;
    const first = days[i];
    const last = days[j];
    if (first !== undefined && last !== undefined) {
      const span = i === j ? first.day : `${first.day}..${last.day} (${j - i + 1} days)`;
      out.push(first.note === undefined ? span : `${span}: ${first.note}`);
    }
    i = j + 1;
  }
  return out;
}

function report(ctx: CommandContext, stderr: (text: string) => void, result: QueryReport, seconds: number): number {
  if (result.missing.length > 0)
    stderr(`tickdb query: ${result.missing.length} day(s) not found: ${dayRuns(result.missing).join('; ')}\n`);
  for (const f of result.failed) {
    const where = f.path !== undefined && !f.message.includes(f.path) ? ` (${f.path})` : '';
    stderr(`tickdb query: error: ${f.day}: ${f.message}${where}${f.hint !== undefined ? `; hint: ${f.hint}` : ''}\n`);
  }
  if (process.stderr.isTTY === true) {
    stderr(
      `tickdb query: ${result.done.length} day(s) read, ${result.rows} row(s), ${result.missing.length} missing, ${result.failed.length} failed, ${seconds.toFixed(2)} s\n`,
    );
  }
  // The logger (pino, about 10 ms to load) only when the line is written: a query logs nothing else.
  if (logs(ctx.config.logLevel, 'debug')) ctx.logger.debug({ days: result.done }, 'query days');
  return result.failed.length > 0 ? 1 : 0;
}

export function queryCommand(runtime: {
  exitCode: number;
  stdout: (t: string) => void;
  stderr: (t: string) => void;
}): Command {
  const cmd = new Command('query')
    .description(
      'run one read-only SQL statement on every day of a range, wherever each day lives; rows in day order, `day` first',
    )
    .argument(
      '<sql>',
      'one SELECT; bind values with :name (--param), and :day, :day_start_ns, :day_end_ns for each day',
    )
    .requiredOption('--from <day>', 'first day (YYYY-MM-DD)')
    .option('--to <day>', 'last day (default: --from)')
    .option('--dataset <prefix>', 'dataset (default the first configured)')
    .option(
      '--param <name=value>',
      'a bound parameter (repeatable); NAME:int=, NAME:real=, NAME:text= force a type',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'csv', 'ndjson', 'sqlite']).default('table'),
    )
    .option('-o, --output <file>', 'write to FILE (required for sqlite; never inside a tier)')
    .option('--force', 'overwrite the output file if it exists')
    .option(
      '--memory <size>',
      'memory the day workers may use at once (e.g. 512M, 2G)',
      `${DEFAULT_MEMORY_BYTES / 2 ** 20}M`,
    )
    .option('--no-cache', 'decompress compressed days into memory, not into the query cache')
    .option('--verify', "also hash each sealed .db, and each decompressed day's content, against its record");
  addCommonOptions(cmd, { json: false });
  cmd.action(
    action(runtime, 'query', async (ctx, sql: string) => {
      const opts = cmd.opts<QueryOptions>();
      const from = dayOption(opts.from, '--from');
      const to = opts.to === undefined ? from : dayOption(opts.to, '--to');
      const datasetName = opts.dataset ?? ctx.config.datasets[0]?.prefix ?? 'ticks';
      const dataset = ctx.config.datasets.find((d) => d.prefix === datasetName);
      if (dataset === undefined)
        throw usageError(
          `--dataset ${datasetName} is not configured (${ctx.config.datasets.map((d) => d.prefix).join(', ')})`,
        );
      const params = parseParams(opts.param);
      const memoryBytes = parseSize(opts.memory, '--memory');
      const cache = cacheFor(ctx, opts);
      const sink = await sinkFor(ctx, opts);
      const controller = new AbortController();
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
      let stoppedBy: NodeJS.Signals | undefined;
      const onSignal = (signal: NodeJS.Signals): void => {
        stoppedBy ??= signal;
        controller.abort(new TickdbError('REFUSED', `interrupted by ${signal}`));
      };
      for (const s of signals) process.once(s, onSignal);
      const started = performance.now();
      try {
        const result = await runQuery({
          dirs: ctx.dirs,
          datasets: ctx.config.datasets.map((d) => d.prefix),
          dataset,
          from,
          to,
          sql,
          params,
          sink,
          cache,
          memoryBytes,
          frameBytes: ctx.config.frameSizeMib * 2 ** 20,
          verifySealed: opts.verify === true,
          now: ctx.now,
          config: ctx.config,
          signal: controller.signal,
          workerStartMs: workerStartMs(process.env.TICKDB_QUERY_WORKER_START_MS),
        });
        return report(ctx, runtime.stderr, result, (performance.now() - started) / 1000);
      } catch (err) {
        if (stoppedBy === undefined) throw err;
        runtime.stderr(`tickdb query: interrupted by ${stoppedBy}; no partial output or cache entry left\n`);
        const code = stoppedBy === 'SIGINT' ? 130 : 143;
        // Rows still queued for a reader that stopped reading (a pipe nobody drains) would keep the process alive
        // until it reads: they are abandoned, and the process ends once the message above is out.
        if (process.stdout.writableLength > 0) process.stderr.write('', () => process.exit(code));
        return code;
      } finally {
        for (const s of signals) process.off(s, onSignal);
      }
    }),
  );
  return cmd;
}
