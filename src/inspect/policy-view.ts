import { hostname } from 'node:os';
import { expandPrefix } from '../archive-target/object-key.js';
import type { LoadedConfig } from '../config/load.js';
import { configSchema, effectiveThresholds, type JobName, type LegalHold, type Thresholds } from '../config/schema.js';
import type { TierDirs } from '../layout/tiers.js';
import { effectiveThreads } from '../zstd/index.js';
import { nextRuns } from './next-runs.js';

/** One configuration field, its effective value and where that value came from. */
export interface FieldView {
  field: string;
  /** undefined when an optional field is not set. */
  value: unknown;
  /** `file PATH`, `env VAR`, `flag --x`, or `default`. */
  source: string;
  /** The value in use when it differs from the configured one's meaning (compressionThreads: capped at the cores). */
  effective?: unknown;
}

export interface ThresholdView {
  value: number;
  /** `dataset` when the dataset sets it, else the global field's source (`global: default`, `global: env ...`). */
  source: string;
}

export interface DatasetView {
  prefix: string;
  tableName: string;
  timestampColumn: string;
  thresholds: Record<keyof Thresholds, ThresholdView>;
}

export interface ScheduleView {
  job: JobName;
  cron: string;
  source: string;
  /** ISO-8601 UTC instants after `now`. */
  nextRuns: string[];
  note?: string;
}

export interface PolicyView {
  configFile: string | null;
  now: string;
  fields: FieldView[];
  datasets: DatasetView[];
  legalHolds: (LegalHold & { covers: string })[];
  schedules: ScheduleView[];
  dirs: TierDirs;
  /** The S3 archive tier (`s3://BUCKET/PREFIX`, `{host}` expanded, and its Object Lock mode), when configured. */
  remoteArchive?: string;
}

const THRESHOLDS: readonly (keyof Thresholds)[] = [
  'compressAfterDays',
  'archiveAfterDays',
  'purgeAfterDays',
  'backupRetentionDays',
  'compressionLevel',
];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sourceOf(sources: Record<string, string>, field: string): string {
  const own = sources[field];
  if (own !== undefined) return own;
  const dot = field.indexOf('.');
  // A nested object given whole by an environment variable or flag (never the case today, but harmless).
  if (dot > 0) {
    const parent = sources[field.slice(0, dot)];
    if (parent !== undefined && !parent.startsWith('file ')) return parent;
  }
  return 'default';
}

/** Every field of the schema, nested objects flattened to `a.b`, in the schema's order. */
function fieldViews(loaded: LoadedConfig): FieldView[] {
  const config = loaded.config as unknown as Record<string, unknown>;
  const out: FieldView[] = [];
  for (const key of Object.keys(configSchema.shape)) {
    const value = config[key];
    if (isPlainObject(value)) {
      for (const [sub, v] of Object.entries(value))
        out.push({ field: `${key}.${sub}`, value: v, source: sourceOf(loaded.sources, `${key}.${sub}`) });
    } else if (key === 'compressionThreads' && typeof value === 'number') {
      // Frames are (de)compressed on this many worker threads, up to the host's cores (src/zstd/file-io.ts).
      out.push({ field: key, value, source: sourceOf(loaded.sources, key), effective: effectiveThreads(value) });
    } else {
      out.push({ field: key, value, source: sourceOf(loaded.sources, key) });
    }
  }
  return out;
}

export function describeHold(h: LegalHold): string {
  const who = h.dataset === undefined ? 'all datasets' : h.dataset;
  const when = h.day !== undefined ? h.day : `${h.from ?? 'the beginning'} .. ${h.to ?? 'open-ended'}`;
  return `${who}: ${when}`;
}

function remoteArchiveOf(config: LoadedConfig['config']): { remoteArchive?: string } {
  const c = config.archiveTarget;
  if (c?.type !== 's3') return {};
  const lock = c.objectLock === undefined ? 'no Object Lock' : `Object Lock ${c.objectLock.mode}`;
  return {
    remoteArchive: `s3://${c.bucket}/${expandPrefix(c.prefix, hostname())} at ${c.endpoint ?? 'AWS'} (${lock})`,
  };
}

/**
 * The effective policy as the agent would apply it: every field with its source, each dataset's thresholds, the
 * legal holds, and the next `runs` firings of each job's schedule after `now` (UTC).
 */
export function buildPolicyView(loaded: LoadedConfig, dirs: TierDirs, now: Date, runs: number): PolicyView {
  const { config, sources } = loaded;
  const datasets = config.datasets.map((d): DatasetView => {
    const effective = effectiveThresholds(config, d);
    const thresholds = {} as Record<keyof Thresholds, ThresholdView>;
    for (const t of THRESHOLDS) {
      thresholds[t] = {
        value: effective[t],
        source: d[t] !== undefined ? 'dataset' : `global: ${sourceOf(sources, t)}`,
      };
    }
    return { prefix: d.prefix, tableName: d.tableName, timestampColumn: d.timestampColumn, thresholds };
  });
  const schedules = (Object.entries(config.schedules) as [JobName, string][]).map(([job, pattern]): ScheduleView => {
    const view: ScheduleView = {
      job,
      cron: pattern,
      source: sourceOf(sources, `schedules.${job}`),
      nextRuns: nextRuns(pattern, now, runs).map((d) => d.toISOString()),
    };
    if (job === 'rotate')
      view.note = `a past day is sealed once midnight UTC + graceMinutes (${config.graceMinutes} min) has passed`;
    const missed =
      job === 'drill'
        ? 'a drill missed while the agent was down is not run at start (status warns after two missed weeks)'
        : 'due work missed while the agent was down is done at start';
    if (job !== 'status') view.note = `${view.note === undefined ? '' : `${view.note}; `}${missed}`;
    return view;
  });
  return {
    configFile: loaded.file ?? null,
    now: now.toISOString(),
    fields: fieldViews(loaded),
    datasets,
    legalHolds: config.legalHolds.map((h) => ({ ...h, covers: describeHold(h) })),
    schedules,
    dirs,
    ...remoteArchiveOf(config),
  };
}
