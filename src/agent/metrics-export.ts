import type { Config } from '../config/schema.js';
import type { Metadata } from '../store/metadata-types.js';

/** The Parquet export (DESIGN 15), gathered by `collectExportMetrics`. */
export interface ExportMetrics {
  /** The last export run as recorded in `metadata.jobs.export`; absent before the first. */
  lastRun?: { at: Date; ok: boolean; failedDays: number; exportedDays: number; successAt?: Date };
  /** Per configured dataset: days with a verified Parquet file recorded, and days purged without one. */
  datasets: { dataset: string; exported: number; purgedUnexported: number }[];
}

/** From the metadata alone; undefined when no export is configured and none was ever run. */
export function collectExportMetrics(config: Config, metadata: Metadata): ExportMetrics | undefined {
  const job = metadata.jobs.export;
  if (config.export === undefined && job === undefined) return undefined;
  const datasets = config.datasets.map(({ prefix }) => {
    const days = Object.values(metadata.days).filter((d) => d.dataset === prefix);
    return {
      dataset: prefix,
      exported: days.filter((d) => d.parquet !== undefined).length,
      purgedUnexported: days.filter((d) => d.state === 'purged' && d.parquet === undefined).length,
    };
  });
  if (job === undefined) return { datasets };
  return {
    lastRun: {
      at: new Date(job.finishedAt),
      ok: job.ok,
      failedDays: job.counts.failed ?? 0,
      exportedDays: job.counts.exported ?? 0,
      ...(job.lastSuccessAt !== undefined ? { successAt: new Date(job.lastSuccessAt) } : {}),
    },
    datasets,
  };
}

type Sample = { labels: Record<string, string>; value: number };
type Family = (name: string, type: 'gauge' | 'counter', help: string, samples: Sample[]) => void;

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

export function renderExport(e: ExportMetrics, family: Family): void {
  const one = (value: number): Sample[] => [{ labels: {}, value }];
  const r = e.lastRun;
  if (r !== undefined) {
    family(
      'tickdb_export_last_run_timestamp_seconds',
      'gauge',
      'Unix time at which the last Parquet export run (scheduled or `tickdb export`) finished.',
      one(seconds(r.at)),
    );
    family(
      'tickdb_export_last_run_ok',
      'gauge',
      '1 when no day of the last export run failed, else 0.',
      one(r.ok ? 1 : 0),
    );
    family(
      'tickdb_export_last_run_failed',
      'gauge',
      'Days whose export failed in the last export run (verification mismatch, I/O, unreadable source).',
      one(r.failedDays),
    );
    family(
      'tickdb_export_last_run_exported',
      'gauge',
      'Days written and verified by the last export run.',
      one(r.exportedDays),
    );
    if (r.successAt !== undefined)
      family(
        'tickdb_export_last_success_timestamp_seconds',
        'gauge',
        'Unix time of the last export run in which no day failed.',
        one(seconds(r.successAt)),
      );
  }
  family(
    'tickdb_exported',
    'gauge',
    'Days of each dataset with a verified Parquet file recorded in metadata.',
    e.datasets.map((d) => ({ labels: { dataset: d.dataset }, value: d.exported })),
  );
  family(
    'tickdb_purged_unexported',
    'gauge',
    'Days of each dataset purged before they were exported (the export never holds back a purge).',
    e.datasets.map((d) => ({ labels: { dataset: d.dataset }, value: d.purgedUnexported })),
  );
}
