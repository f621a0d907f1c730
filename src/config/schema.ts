import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parseDay } from '../layout/day.js';
import { LOG_LEVELS } from '../log.js';
import { archiveTargetSchema } from './archive-target-schema.js';

export const DEFAULT_SCHEMA_SQL = [
  'CREATE TABLE IF NOT EXISTS ticks (',
  '  ts INTEGER NOT NULL, -- ns since epoch',
  '  symbol TEXT NOT NULL,',
  '  bid REAL,',
  '  ask REAL,',
  '  bid_size INTEGER,',
  '  ask_size INTEGER,',
  '  last REAL,',
  '  volume INTEGER',
  ');',
  'CREATE INDEX IF NOT EXISTS ticks_symbol_ts ON ticks (symbol, ts);',
].join('\n');

const days = z.number().int().min(0);
/** node-cron is loaded only when a schedule is actually given: most commands never read one, and start-up counts. */
function isCronPattern(s: string): boolean {
  const cron = createRequire(import.meta.url)('node-cron') as typeof import('node-cron');
  return cron.validate(s);
}
const cronString = z.string().refine(isCronPattern, { message: 'not a valid cron expression (5 or 6 fields)' });
const dayString = z.string().refine((s) => parseDay(s) !== undefined, { message: 'not a valid day (YYYY-MM-DD)' });
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a SQL identifier');
const prefixString = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'letters, digits, dot and dash only (no underscore)');
const octalMode = z.string().regex(/^0?[0-7]{3}$/, 'an octal mode such as "0640"');

/** Thresholds a dataset may override. */
const policyFields = {
  compressAfterDays: days.min(1),
  archiveAfterDays: days.min(1),
  purgeAfterDays: days.min(1),
  backupRetentionDays: days,
  compressionLevel: z.number().int().min(1).max(22),
};

export const datasetSchema = z.strictObject({
  prefix: prefixString,
  schemaSql: z.string().min(1).default(DEFAULT_SCHEMA_SQL),
  timestampColumn: identifier.default('ts'),
  /** Rows are exported to Parquet ordered by this column, then the timestamp (when the table has it). */
  symbolColumn: identifier.default('symbol'),
  tableName: identifier.default('ticks'),
  compressAfterDays: policyFields.compressAfterDays.optional(),
  archiveAfterDays: policyFields.archiveAfterDays.optional(),
  purgeAfterDays: policyFields.purgeAfterDays.optional(),
  backupRetentionDays: policyFields.backupRetentionDays.optional(),
  compressionLevel: policyFields.compressionLevel.optional(),
});

export const legalHoldSchema = z
  .strictObject({
    dataset: prefixString.optional(),
    day: dayString.optional(),
    from: dayString.optional(),
    to: dayString.optional(),
    reason: z.string().min(1),
  })
  .refine((h) => h.day !== undefined || h.from !== undefined || h.to !== undefined, {
    message: 'a legal hold needs "day", or "from" and/or "to"',
  });

export const schedulesSchema = z.strictObject({
  rotate: cronString.default('0 0 * * *'),
  compress: cronString.default('0 2 * * *'),
  archive: cronString.default('30 2 * * *'),
  purge: cronString.default('30 2 * * *'),
  status: cronString.default('0 * * * *'),
  /** The restore drill (src/drill): weekly, Sunday 04:00 UTC, after the nightly jobs. */
  drill: cronString.default('0 4 * * 0'),
  /** The Parquet export (DESIGN 15): daily at 03:00 UTC, after the nightly jobs; nothing unless `export` is set. */
  export: cronString.default('0 3 * * *'),
});

/** The research lake (DESIGN 15): where `tickdb export` and the scheduled export job write Parquet. */
export const exportSchema = z.strictObject({
  /** Root of the lake; `{host}` is replaced by the host name. */
  dir: z.string().min(1),
  /** The scheduled job exports days at least this old (1: yesterday, once sealed). */
  afterDays: days.min(1).default(1),
  rowGroupRows: z.number().int().min(1024).max(16_777_216).default(131_072),
  compressionLevel: z.number().int().min(1).max(22).default(3),
  /** A day's database at least this large is read and summarized on two worker threads beside the encoder. */
  threadsFromBytes: z.number().int().min(0).default(33_554_432),
});

export const diskSpaceSchema = z.strictObject({
  warnFreePercent: z.number().min(0).max(100).default(15),
  critFreePercent: z.number().min(0).max(100).default(5),
});

/** `tickdb query`'s decompression cache (src/query/query-cache.ts); `maxBytes: 0` decompresses into memory instead. */
export const queryCacheSchema = z.strictObject({
  dir: z.string().min(1).optional(),
  maxBytes: z
    .number()
    .int()
    .min(0)
    .default(4 * 1024 ** 3),
});

export const configSchema = z
  .strictObject({
    root: z.string().min(1).default('./data/ticks'),
    datasets: z
      .array(datasetSchema)
      .min(1)
      .default(() => [datasetSchema.parse({ prefix: 'ticks' })]),
    compressAfterDays: policyFields.compressAfterDays.default(7),
    archiveAfterDays: policyFields.archiveAfterDays.default(30),
    purgeAfterDays: policyFields.purgeAfterDays.default(180),
    backupRetentionDays: policyFields.backupRetentionDays.default(30),
    compressionLevel: policyFields.compressionLevel.default(19),
    compressionThreads: z.number().int().min(1).max(64).default(Math.min(availableParallelism(), 4)),
    frameSizeMib: z.number().int().min(1).max(1024).default(32),
    graceMinutes: z.number().int().min(0).max(1440).default(15),
    schedules: schedulesSchema.default(() => schedulesSchema.parse({})),
    archiveDir: z.string().min(1).optional(),
    archiveTarget: archiveTargetSchema.optional(),
    backupDir: z.string().min(1).optional(),
    metricsFile: z.string().min(1).optional(),
    diskSpace: diskSpaceSchema.default(() => diskSpaceSchema.parse({})),
    export: exportSchema.optional(),
    /** Today's -wal above this many bytes is a WARNING (status, metrics): checkpoints are not keeping up. */
    walWarnBytes: z
      .number()
      .int()
      .min(0)
      .default(1024 ** 3),
    legalHolds: z.array(legalHoldSchema).default([]),
    minimumRetentionDays: days.default(0),
    maxPurgeDaysPerRun: z.number().int().min(1).default(31),
    fileMode: octalMode.default('0644'),
    fileOwner: z.union([z.string().min(1), z.number().int().min(0)]).optional(),
    fileGroup: z.union([z.string().min(1), z.number().int().min(0)]).optional(),
    tomorrowDueHour: z.number().int().min(0).max(23).default(12),
    dryRun: z.boolean().default(false),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    queryCache: queryCacheSchema.default(() => queryCacheSchema.parse({})),
  })
  .superRefine((c, ctx) => {
    const check = (ok: boolean, path: (string | number)[], message: string): void => {
      if (!ok) ctx.addIssue({ code: 'custom', path, message });
    };
    const prefixes = new Set<string>();
    c.datasets.forEach((d, i) => {
      check(!prefixes.has(d.prefix), ['datasets', i, 'prefix'], `duplicate dataset prefix "${d.prefix}"`);
      prefixes.add(d.prefix);
      const p = effectiveThresholds(c, d);
      const at = (f: string): (string | number)[] => (d[f as keyof typeof d] === undefined ? [f] : ['datasets', i, f]);
      check(
        p.archiveAfterDays > p.compressAfterDays,
        at('archiveAfterDays'),
        `archiveAfterDays (${p.archiveAfterDays}) must be greater than compressAfterDays (${p.compressAfterDays})`,
      );
      check(
        p.purgeAfterDays > p.archiveAfterDays,
        at('purgeAfterDays'),
        `purgeAfterDays (${p.purgeAfterDays}) must be greater than archiveAfterDays (${p.archiveAfterDays})`,
      );
      check(
        c.minimumRetentionDays === 0 || p.purgeAfterDays >= c.minimumRetentionDays,
        at('purgeAfterDays'),
        `purgeAfterDays (${p.purgeAfterDays}) is below minimumRetentionDays (${c.minimumRetentionDays}), the regulatory floor`,
      );
    });
    check(
      c.diskSpace.critFreePercent <= c.diskSpace.warnFreePercent,
      ['diskSpace', 'critFreePercent'],
      `critFreePercent (${c.diskSpace.critFreePercent}) must not exceed warnFreePercent (${c.diskSpace.warnFreePercent})`,
    );
    c.legalHolds.forEach((h, i) => {
      check(
        h.dataset === undefined || prefixes.has(h.dataset),
        ['legalHolds', i, 'dataset'],
        `unknown dataset "${h.dataset ?? ''}" (configured: ${[...prefixes].join(', ')})`,
      );
      check(
        h.from === undefined || h.to === undefined || h.from <= h.to,
        ['legalHolds', i, 'to'],
        `"to" (${h.to ?? ''}) is before "from" (${h.from ?? ''})`,
      );
    });
    check(
      c.archiveDir === undefined || c.archiveTarget === undefined,
      ['archiveTarget'],
      'set either archiveDir (the short form of a filesystem target) or archiveTarget, not both',
    );
  });

export type Config = z.output<typeof configSchema>;
export type DatasetConfig = z.output<typeof datasetSchema>;
export type LegalHold = z.output<typeof legalHoldSchema>;
export type ExportConfig = z.output<typeof exportSchema>;
export type JobName = keyof z.output<typeof schedulesSchema>;

export interface Thresholds {
  compressAfterDays: number;
  archiveAfterDays: number;
  purgeAfterDays: number;
  backupRetentionDays: number;
  compressionLevel: number;
}

/** A dataset's thresholds: its own where set, else the global ones. */
export function effectiveThresholds(config: Pick<Config, keyof Thresholds>, dataset: Partial<Thresholds>): Thresholds {
  return {
    compressAfterDays: dataset.compressAfterDays ?? config.compressAfterDays,
    archiveAfterDays: dataset.archiveAfterDays ?? config.archiveAfterDays,
    purgeAfterDays: dataset.purgeAfterDays ?? config.purgeAfterDays,
    backupRetentionDays: dataset.backupRetentionDays ?? config.backupRetentionDays,
    compressionLevel: dataset.compressionLevel ?? config.compressionLevel,
  };
}
