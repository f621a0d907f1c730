import { type ExportMetrics, renderExport } from './metrics-export.js';

/** Everything the Prometheus textfile says, gathered by `collectMetrics` (plain data, so rendering is pure). */
export interface MetricsSnapshot {
  /** When the snapshot was taken (the agent's clock). */
  at: Date;
  /** Files and bytes per tier and dataset (every configured pair, zeros included, so series do not vanish). */
  tiers: { tier: string; dataset: string; files: number; bytes: number }[];
  /** Days recorded in metadata per dataset and state. */
  days: { dataset: string; state: string; count: number }[];
  quarantinedDays: { dataset: string; count: number }[];
  /** Days a writer still held at the last seal attempt. */
  busyDays: { dataset: string; count: number }[];
  /** sum(zstBytes) / sum(bytes) over the compressed and archived days that have both. */
  compression: { dataset: string; ratio: number }[];
  jobs: {
    job: string;
    lastRunAt?: Date;
    lastSuccessAt?: Date;
    lastRunOk?: boolean;
    /** Failed runs in a row (the agent counts them; from metadata alone it is 0 or 1). */
    consecutiveFailures: number;
  }[];
  disk: { tier: string; path: string; freeBytes: number; sizeBytes: number }[];
  auditLines: number;
  /** False when rotation_metadata.json could not be read or is in a format the agent does not use (absent is fine). */
  metadataOk: boolean;
  agent: { up: boolean; startedAt?: Date };
  /** Restore drills, today's WAL and the backlog (issue 21); absent in snapshots made without them. */
  ops?: OpsMetrics;
  /** The S3 archive (DESIGN 12): totals kept in the metadata, and the upload backlog; zeros without a target. */
  archive?: { uploadedBytes: number; uploadFailures: number; backlogCount: number; backlogDays: number };
  /** The Parquet export (DESIGN 15); absent when none is configured and none ever ran. */
  export?: ExportMetrics;
}

/** Gathered by `collectOpsMetrics`. */
export interface OpsMetrics {
  drill?: { lastRunAt: Date; lastRunOk: boolean; lastSuccessAt?: Date };
  /** No drill has succeeded for 14 days (on a tree never drilled, counted from its first seal): status's WARNING. */
  drillStale?: boolean;
  /** Today's database of each dataset that has one. */
  wal: { dataset: string; walBytes: number; growingSeconds: number; writerVersion?: number }[];
  /** Days with overdue work per dataset; absent when it cannot be computed (unusable metadata). */
  backlog?: { dataset: string; count: number }[];
}

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/**
 * Renders the snapshot in the Prometheus text exposition format (version 0.0.4), for node_exporter's textfile
 * collector: every metric `tickdb_*` with its HELP and TYPE lines, samples sorted by label. Pure.
 */
export function renderMetrics(s: MetricsSnapshot): string {
  const out: string[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string, samples: Sample[]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const lines = samples.map((x) => {
      const labels = Object.entries(x.labels)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(',');
      return `${name}${labels === '' ? '' : `{${labels}}`} ${formatValue(x.value)}`;
    });
    out.push(...lines.sort());
  };
  const one = (value: number): Sample[] => [{ labels: {}, value }];

  family(
    'tickdb_agent_up',
    'gauge',
    '1 while the tickdb agent runs; 0 once it has stopped or when written by a one-shot run.',
    one(s.agent.up ? 1 : 0),
  );
  if (s.agent.startedAt !== undefined) {
    family(
      'tickdb_agent_start_time_seconds',
      'gauge',
      'Unix time at which the running agent started.',
      one(seconds(s.agent.startedAt)),
    );
  }
  family(
    'tickdb_metrics_timestamp_seconds',
    'gauge',
    'Unix time at which this file was written (agent clock).',
    one(seconds(s.at)),
  );
  family(
    'tickdb_tier_files',
    'gauge',
    'Day files (.db and .db.zst) present per tier and dataset.',
    s.tiers.map((t) => ({ labels: { tier: t.tier, dataset: t.dataset }, value: t.files })),
  );
  family(
    'tickdb_tier_bytes',
    'gauge',
    'Bytes of day files per tier and dataset.',
    s.tiers.map((t) => ({ labels: { tier: t.tier, dataset: t.dataset }, value: t.bytes })),
  );
  // promtool's lint reads a `_days` name part as a time unit (base unit: seconds), hence these names for day counts.
  family(
    'tickdb_day_states',
    'gauge',
    'Days recorded in metadata per dataset and lifecycle state.',
    s.days.map((d) => ({ labels: { dataset: d.dataset, state: d.state }, value: d.count })),
  );
  family(
    'tickdb_quarantined',
    'gauge',
    'Number of days in quarantine, skipped by every job until released.',
    s.quarantinedDays.map((d) => ({ labels: { dataset: d.dataset }, value: d.count })),
  );
  family(
    'tickdb_busy',
    'gauge',
    'Number of days a writer still held at the last seal attempt.',
    s.busyDays.map((d) => ({ labels: { dataset: d.dataset }, value: d.count })),
  );
  family(
    'tickdb_compression_ratio',
    'gauge',
    'Compressed bytes / sealed bytes over the compressed and archived days.',
    s.compression.map((c) => ({ labels: { dataset: c.dataset }, value: c.ratio })),
  );
  const jobsWith = (pick: (j: MetricsSnapshot['jobs'][number]) => number | undefined): Sample[] =>
    s.jobs.flatMap((j) => {
      const value = pick(j);
      return value === undefined ? [] : [{ labels: { job: j.job }, value }];
    });
  family(
    'tickdb_job_last_run_timestamp_seconds',
    'gauge',
    'Unix time at which each job last finished.',
    jobsWith((j) => (j.lastRunAt === undefined ? undefined : seconds(j.lastRunAt))),
  );
  family(
    'tickdb_job_last_success_timestamp_seconds',
    'gauge',
    'Unix time of the last run of each job that succeeded.',
    jobsWith((j) => (j.lastSuccessAt === undefined ? undefined : seconds(j.lastSuccessAt))),
  );
  family(
    'tickdb_job_last_run_ok',
    'gauge',
    '1 when the last run of the job succeeded, 0 when it failed.',
    jobsWith((j) => (j.lastRunOk === undefined ? undefined : j.lastRunOk ? 1 : 0)),
  );
  family(
    'tickdb_job_consecutive_failures',
    'gauge',
    'Failed runs of the job in a row (retried at its next slot).',
    jobsWith((j) => j.consecutiveFailures),
  );
  family(
    'tickdb_disk_free_bytes',
    'gauge',
    'Bytes available to the agent on the filesystem of each tier.',
    s.disk.map((d) => ({ labels: { tier: d.tier, path: d.path }, value: d.freeBytes })),
  );
  family(
    'tickdb_disk_size_bytes',
    'gauge',
    'Size in bytes of the filesystem of each tier.',
    s.disk.map((d) => ({ labels: { tier: d.tier, path: d.path }, value: d.sizeBytes })),
  );
  family(
    'tickdb_metadata_ok',
    'gauge',
    '0 when rotation_metadata.json is unreadable or in an unknown format (until the next job rebuilds it), else 1.',
    one(s.metadataOk ? 1 : 0),
  );
  family(
    'tickdb_audit_lines',
    'gauge',
    'Lines in the audit trail (db/audit.jsonl) as recorded in metadata.',
    one(s.auditLines),
  );
  if (s.ops !== undefined) renderOps(s.ops, family);
  if (s.export !== undefined) renderExport(s.export, family);
  const a = s.archive ?? { uploadedBytes: 0, uploadFailures: 0, backlogCount: 0, backlogDays: 0 };
  family(
    'tickdb_archive_upload_bytes_total',
    'counter',
    'Bytes uploaded to the S3 archive (DESIGN 12).',
    one(a.uploadedBytes),
  );
  family(
    'tickdb_archive_upload_failures_total',
    'counter',
    'S3 archive uploads that failed or waited for an unreachable server.',
    one(a.uploadFailures),
  );
  // The issue named one gauge tickdb_archive_backlog_days; promtool's lint wants base units, so it is two: the
  // days waiting (a count) and how long the oldest has waited, in seconds (DESIGN 12).
  family(
    'tickdb_archive_backlog',
    'gauge',
    'Days past archiveAfterDays waiting in their local tier for the S3 archive (0 without an S3 target).',
    one(a.backlogCount),
  );
  family(
    'tickdb_archive_backlog_oldest_seconds',
    'gauge',
    'How long the oldest day waiting for the S3 archive has been due (whole days, in seconds; 0 without a backlog).',
    one(a.backlogDays * 86_400),
  );
  return `${out.join('\n')}\n`;
}

type Family = (name: string, type: 'gauge' | 'counter', help: string, samples: Sample[]) => void;

function renderOps(o: OpsMetrics, family: Family): void {
  const single = (value: number): Sample[] => [{ labels: {}, value }];
  const d = o.drill;
  if (d !== undefined) {
    family(
      'tickdb_drill_last_run_timestamp_seconds',
      'gauge',
      'Unix time at which the last restore drill finished.',
      single(seconds(d.lastRunAt)),
    );
    family(
      'tickdb_drill_last_run_ok',
      'gauge',
      '1 when every copy of the last restore drill restored and matched the metadata, else 0.',
      single(d.lastRunOk ? 1 : 0),
    );
    if (d.lastSuccessAt !== undefined) {
      family(
        'tickdb_drill_last_success_timestamp_seconds',
        'gauge',
        'Unix time of the last restore drill that succeeded.',
        single(seconds(d.lastSuccessAt)),
      );
    }
  }
  if (o.drillStale !== undefined) {
    family(
      'tickdb_drill_stale',
      'gauge',
      '1 when no restore drill has succeeded for 14 days, counted on a tree never drilled from its first seal (status WARNING).',
      single(o.drillStale ? 1 : 0),
    );
  }
  const perDataset = (pick: (w: OpsMetrics['wal'][number]) => number | undefined): Sample[] =>
    o.wal.flatMap((w) => {
      const value = pick(w);
      return value === undefined ? [] : [{ labels: { dataset: w.dataset }, value }];
    });
  family(
    'tickdb_wal_bytes',
    'gauge',
    "Size in bytes of today's -wal of each dataset (0 when there is none).",
    perDataset((w) => w.walBytes),
  );
  family(
    'tickdb_wal_growing_seconds',
    'gauge',
    "Seconds today's -wal has grown past the autocheckpoint threshold with no checkpoint resetting it (agent samples).",
    perDataset((w) => w.growingSeconds),
  );
  family(
    'tickdb_writer_sqlite_version',
    'gauge',
    "SQLITE_VERSION_NUMBER of the library that last wrote today's database (3051003 is 3.51.3).",
    perDataset((w) => w.writerVersion),
  );
  if (o.backlog !== undefined) {
    family(
      'tickdb_backlog',
      'gauge',
      "Number of days with overdue work (seal, backup, compress, archive, purge) by the planner's rules.",
      o.backlog.map((b) => ({ labels: { dataset: b.dataset }, value: b.count })),
    );
  }
}
