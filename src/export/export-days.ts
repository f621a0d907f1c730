import type { Clock } from '../clock.js';
import type { Config, DatasetConfig } from '../config/schema.js';
import { addDays, dayRange, type Day } from '../layout/day.js';
import { scanTiers } from '../layout/scan.js';
import { dayKey, type TierDirs } from '../layout/tiers.js';
import { DayStore } from '../lifecycle/day-store.js';
import { catchUpCheckpoint } from '../store/audit.js';
import { loadMetadataForUpdate, requireMetadataFound } from '../store/metadata.js';
import { type DayExport, type ExportSettings, exportDay } from './export-day.js';

export interface ExportRequest {
  from: Day;
  to: Day;
  datasets: readonly DatasetConfig[];
  settings: ExportSettings;
  onDay?: (done: number, total: number, current: string) => void;
  /** Only days with no recorded export (the scheduled job): recorded files are not re-hashed every night. */
  onlyUnexported?: boolean;
  /**
   * The agent's stop: checked between days (a day under way is finished, or cut by the stop's watchdog, which its
   * temporary file and rename make safe). The days not reached are left for the next run, counted `not-reached`.
   */
  signal?: AbortSignal | undefined;
}

export interface ExportReport {
  root: string;
  ok: boolean;
  days: (DayExport | (Omit<DayExport, 'status'> & { status: 'failed'; code: string }))[];
  counts: Record<string, number>;
}

/** The days the scheduled job looks at: from the oldest recorded day to `afterDays` before today. */
export function scheduledRange(
  days: readonly Day[],
  today: Day,
  afterDays: number,
): { from: Day; to: Day } | undefined {
  const to = addDays(today, -afterDays);
  const from = days.reduce<Day | undefined>((min, d) => (min === undefined || d < min ? d : min), undefined);
  return from === undefined || from > to ? undefined : { from, to };
}

/**
 * Exports every day of `from..to` of each dataset (the caller holds the tree lock). A failed day is reported and
 * the others go on; the report says which. Purged days without an export are listed, never an error: the export
 * does not hold back a purge (DESIGN 15).
 */
export async function exportDays(
  ctx: { config: Config; dirs: TierDirs; clock: Clock },
  request: ExportRequest,
): Promise<ExportReport> {
  const startedAt = ctx.clock.now().toISOString();
  const metadata = requireMetadataFound(await loadMetadataForUpdate(ctx.dirs, ctx.clock.now()), ctx.dirs);
  metadata.audit = await catchUpCheckpoint(ctx.dirs, metadata.audit);
  const scan = await scanTiers(
    ctx.dirs,
    ctx.config.datasets.map((d) => d.prefix),
  );
  const store = new DayStore(ctx.dirs, metadata, ctx.clock);
  const days = dayRange(request.from, request.to);
  const report: ExportReport = { root: request.settings.root, ok: true, days: [], counts: {} };
  const total = days.length * request.datasets.length;
  let done = 0;
  run: for (const ds of request.datasets) {
    for (const day of days) {
      if (request.signal?.aborted === true) {
        report.counts['not-reached'] = total - done;
        break run;
      }
      request.onDay?.(done, total, `${ds.prefix} ${day}`);
      if (request.onlyUnexported === true && store.get(ds.prefix, day)?.parquet !== undefined) {
        done++;
        continue;
      }
      const spec = {
        prefix: ds.prefix,
        tableName: ds.tableName,
        timestampColumn: ds.timestampColumn,
        symbolColumn: ds.symbolColumn,
      };
      try {
        const r = await exportDay(store, spec, day, scan.days.get(dayKey(ds.prefix, day)), request.settings, () =>
          ctx.clock.now().toISOString(),
        );
        report.days.push(r);
      } catch (err) {
        const e = err as { code?: unknown; message?: unknown; path?: unknown };
        report.ok = false;
        report.days.push({
          dataset: ds.prefix,
          day,
          status: 'failed',
          code: typeof e.code === 'string' ? e.code : 'INTERNAL',
          path: typeof e.path === 'string' ? e.path : '',
          message: String(e.message ?? err),
        });
      }
      done++;
    }
  }
  for (const d of report.days) report.counts[d.status] = (report.counts[d.status] ?? 0) + 1;
  // The run's outcome, as the lifecycle jobs and the drill record theirs (metrics: tickdb_export_*).
  const finishedAt = ctx.clock.now().toISOString();
  const lastSuccessAt = report.ok ? finishedAt : metadata.jobs.export?.lastSuccessAt;
  metadata.jobs.export = {
    startedAt,
    finishedAt,
    ok: report.ok,
    counts: { ...report.counts },
    errors: report.days.flatMap((d) => (d.status === 'failed' ? [`${d.dataset} ${d.day}: ${d.message}`] : [])),
    ...(lastSuccessAt !== undefined ? { lastSuccessAt } : {}),
  };
  await store.save();
  return report;
}
