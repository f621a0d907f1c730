import { availableParallelism, tmpdir } from 'node:os';
import type { Config, DatasetConfig } from '../config/schema.js';
import { TickdbError } from '../errors.js';
import { faultPause } from '../fault.js';
import { dayRange, type Day } from '../layout/day.js';
import { scanTiers } from '../layout/scan.js';
import { dayKey, type TierDirs } from '../layout/tiers.js';
import { readMetadata } from '../store/metadata.js';
import { settledView } from '../store/settled-view.js';
import { checkStatement } from './check-statement.js';
import { materializeFor } from './materialize.js';
import { dayMemory } from './memory-budget.js';
import type { RowSink } from './output/row-sink.js';
import { headerNames } from './output/values.js';
import { dayParams } from './params.js';
import { planDays, type DayPlan } from './plan-days.js';
import { QueryPool, type DayJob, type DayOutcome } from './query-pool.js';
import { ensureCacheDir, removeStaleTmp, type CacheSpec } from './query-cache.js';
import type { FailedDay, Materialize, MissingDay, SqlValue } from './query-types.js';

export interface QueryRequest {
  dirs: TierDirs;
  datasets: readonly string[];
  dataset: DatasetConfig;
  from: Day;
  to: Day;
  sql: string;
  params: Record<string, SqlValue>;
  sink: RowSink;
  /** The decompression cache; undefined decompresses every compressed day into memory. */
  cache: CacheSpec | undefined;
  memoryBytes: number;
  frameBytes: number;
  /** The configuration, for days only in the S3 archive target. */
  config?: Config | undefined;
  /**
   * --verify: hash sealed `.db` files against their record (otherwise their size is checked), and the content of a
   * decompressed day as well as its `.zst` (otherwise the `.zst`'s recorded SHA-256 is checked as it is read).
   */
  verifySealed: boolean;
  now: Date;
  signal?: AbortSignal | undefined;
  /** Days read at once (default: the cores). */
  workers?: number | undefined;
  /** See PoolOptions.workerStartMs (default WORKER_START_MS; 0 runs every day on a worker). */
  workerStartMs?: number | undefined;
}

/**
 * What starting the query's worker threads costs: about 65 ms of Node's own bootstrap per thread plus 30-70 ms
 * loading the worker's modules (better-sqlite3, the zstd engine), measured with --cpu-prof on this 2-core VM.
 */
export const WORKER_START_MS = 100;

export interface DayDone extends DayOutcome {
  day: Day;
}

export interface QueryReport {
  done: DayDone[];
  missing: MissingDay[];
  failed: FailedDay[];
  rows: number;
}

const byDay = <T extends { day: Day }>(a: T, b: T): number => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0);

/**
 * Plans again the days whose first plan caught the agent in the middle of a move (plan-days.ts, `unsettled`: found
 * twice, or missing while recorded), from a settled view of the tree (store/settled-view.ts); a day still unsettled
 * then is reported as the plan says.
 */
async function settle(req: QueryRequest, plan: DayPlan): Promise<DayPlan> {
  if (plan.unsettled.length === 0) return plan;
  const keys = plan.unsettled.map((day) => dayKey(req.dataset.prefix, day));
  const { scan, metadata } = await settledView(req.dirs, req.datasets, req.now, keys);
  const again = planDays(scan, metadata, req.dataset.prefix, plan.unsettled);
  // Still recorded and without any file (not even a backup, whose restore the missing list names): a lost file,
  // or a move the settled view did not settle. Either way an error naming the day, never a day quietly left out.
  const lost = again.missing.filter((m) => again.unsettled.includes(m.day) && m.note === undefined);
  const redo = new Set(plan.unsettled);
  const others = <T extends { day: Day }>(list: T[]): T[] => list.filter((x) => !redo.has(x.day));
  return {
    sources: [...others(plan.sources), ...again.sources].sort(byDay),
    missing: [...others(plan.missing), ...again.missing.filter((m) => !lost.includes(m))].sort(byDay),
    failed: [
      ...others(plan.failed),
      ...again.failed,
      ...lost.map((m) => ({
        day: m.day,
        message: `${req.dataset.prefix} ${m.day} is recorded ${metadata.days[dayKey(req.dataset.prefix, m.day)]?.state ?? ''} but has no file`,
        hint: 'if the agent was moving it, run the query again; otherwise run tickdb verify',
      })),
    ],
    unsettled: again.unsettled,
  };
}

/**
 * Runs one read-only statement on every day of `from..to` wherever it lives, rows to `sink` in day order. Missing
 * days and failed days are returned, not thrown: the caller reports them after the others are done. A statement
 * that does not fit (writes, several statements, a parameter without a value) is a USAGE error before any day runs,
 * or from the first day whose database judges it. Aborting `signal` stops the workers and leaves no partial output
 * or cache entry.
 */
export async function runQuery(req: QueryRequest): Promise<QueryReport> {
  if (req.from > req.to) throw new TickdbError('USAGE', `--from ${req.from} is after --to ${req.to}`);
  checkStatement(req.sql, req.dataset.schemaSql, { ...req.params, ...dayParams(req.from) });
  // The tiers, the metadata and the cache's leftovers are independent reads: at once, not one after the other.
  const { cache } = req;
  const [scan, { metadata }] = await Promise.all([
    scanTiers(req.dirs, req.datasets),
    readMetadata(req.dirs, req.now),
    cache === undefined ? undefined : ensureCacheDir(cache).then(() => removeStaleTmp(cache)),
    removeStaleTmp({ dir: tmpdir(), maxBytes: 0 }), // the scratch files of days decompressed into memory
  ]);
  const plan = await settle(req, planDays(scan, metadata, req.dataset.prefix, dayRange(req.from, req.to)));
  const workers = Math.max(1, Math.min(req.workers ?? availableParallelism(), plan.sources.length));
  const threads = Math.max(1, Math.floor(availableParallelism() / workers));
  const hows = await Promise.all(plan.sources.map((source) => materializeFor(source, req.cache, req.verifySealed)));
  const replan = {
    dirs: req.dirs,
    datasets: [...req.datasets],
    prefix: req.dataset.prefix,
    now: req.now.toISOString(),
  };
  const jobs: DayJob[] = [];
  for (const [i, source] of plan.sources.entries()) {
    const how = hows[i] as Materialize;
    jobs.push({
      task: {
        source,
        how,
        sql: req.sql,
        params: { ...req.params, ...dayParams(source.day) },
        cache: req.cache,
        config: req.config,
        replan,
        threads,
        verifyContent: req.verifySealed,
        batchRows: 1000,
      },
      memoryBytes: dayMemory(source, how, req.frameBytes, threads),
      local: (how.mode === 'in-place' && !how.verifySha256) || (how.mode === 'cache-hit' && !how.reverify),
    });
  }
  await faultPause('query:after-plan'); // tests: the agent moves days between the plan and the reads
  const report: QueryReport = { done: [], missing: plan.missing, failed: [], rows: 0 };
  let header: string[] | undefined;
  const pool = new QueryPool(
    { workers, memoryBudget: req.memoryBytes, creditsPerDay: 4, workerStartMs: req.workerStartMs ?? WORKER_START_MS },
    {
      columns: async (day, names) => {
        const next = headerNames(names);
        if (header === undefined) {
          header = next;
          await req.sink.header(header);
        } else if (next.join('\u0000') !== header.join('\u0000')) {
          throw new TickdbError(
            'REFUSED',
            `${day} returns columns (${next.join(', ')}), the days before it (${header.join(', ')})`,
            {
              hint: 'name the columns in the statement instead of SELECT *, so that every day returns the same ones',
            },
          );
        }
      },
      rows: (day, rows) => req.sink.rows(day, rows),
      done: (day, info) => {
        report.done.push({ day, ...info });
        report.rows += info.rows;
      },
      failed: (day, error) => {
        report.failed.push({ day, message: error.message, path: error.path, hint: error.hint });
      },
    },
  );
  const onAbort = (): void => void pool.abort(req.signal?.reason);
  req.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    req.signal?.throwIfAborted();
    await pool.run(jobs);
    await req.sink.finish();
  } catch (err) {
    await pool.abort(err);
    await req.sink.discard();
    throw err;
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
  }
  report.failed.push(...plan.failed);
  report.failed.sort(byDay);
  return report;
}
