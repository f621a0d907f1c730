import { TickdbError } from '../errors.js';

type FieldKind = 'number' | 'boolean' | 'string';

/** Config fields that may be set from the environment, by dotted path, with the type the value is read as. */
const ENV_FIELDS: Record<string, FieldKind> = {
  root: 'string',
  compressAfterDays: 'number',
  archiveAfterDays: 'number',
  purgeAfterDays: 'number',
  backupRetentionDays: 'number',
  compressionLevel: 'number',
  compressionThreads: 'number',
  frameSizeMib: 'number',
  graceMinutes: 'number',
  archiveDir: 'string',
  backupDir: 'string',
  metricsFile: 'string',
  minimumRetentionDays: 'number',
  maxPurgeDaysPerRun: 'number',
  fileMode: 'string',
  fileOwner: 'string',
  fileGroup: 'string',
  tomorrowDueHour: 'number',
  dryRun: 'boolean',
  logLevel: 'string',
  'schedules.rotate': 'string',
  'schedules.compress': 'string',
  'schedules.archive': 'string',
  'schedules.purge': 'string',
  'schedules.status': 'string',
  'schedules.drill': 'string',
  'diskSpace.warnFreePercent': 'number',
  'diskSpace.critFreePercent': 'number',
  walWarnBytes: 'number',
  'queryCache.dir': 'string',
  'queryCache.maxBytes': 'number',
  'schedules.export': 'string',
  'export.dir': 'string',
  'export.afterDays': 'number',
  'export.rowGroupRows': 'number',
  'export.compressionLevel': 'number',
  'export.threadsFromBytes': 'number',
};

/** Variables of the older shell scripts, honoured below the `TICKDB_*` ones. */
const LEGACY_VARS: Record<string, string> = {
  DAYS_BEFORE_COMPRESS: 'compressAfterDays',
  COMPRESSION_LEVEL: 'compressionLevel',
  RETENTION_DAYS: 'purgeAfterDays',
  DRY_RUN: 'dryRun',
};

/** `compressionLevel` -> `TICKDB_COMPRESSION_LEVEL`, `schedules.rotate` -> `TICKDB_SCHEDULES_ROTATE`. */
export function envNameFor(field: string): string {
  return `TICKDB_${field
    .replace(/\./g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()}`;
}

export interface EnvOverride {
  field: string;
  variable: string;
  value: string | number | boolean;
}

function coerce(kind: FieldKind, variable: string, raw: string): string | number | boolean {
  const text = raw.trim();
  if (kind === 'string') return raw;
  if (kind === 'number') {
    if (!/^-?\d+(\.\d+)?$/.test(text)) {
      throw new TickdbError('CONFIG', `invalid configuration: ${variable}=${JSON.stringify(raw)} is not a number`, {
        path: variable,
        hint: `set ${variable} to a number or unset it`,
      });
    }
    return Number(text);
  }
  const lower = text.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(lower)) return false;
  throw new TickdbError('CONFIG', `invalid configuration: ${variable}=${JSON.stringify(raw)} is not a boolean`, {
    path: variable,
    hint: 'use true/false, 1/0, yes/no',
  });
}

/**
 * Reads config overrides from the environment: legacy script variables first, then `TICKDB_*` (which win).
 * `TICKDB_*` variables that are not config fields (`TICKDB_CONFIG`, test hooks) are ignored, not errors.
 */
export function envOverrides(env: NodeJS.ProcessEnv): EnvOverride[] {
  const out = new Map<string, EnvOverride>();
  for (const [variable, field] of Object.entries(LEGACY_VARS)) {
    const raw = env[variable];
    const kind = ENV_FIELDS[field];
    if (raw !== undefined && kind !== undefined)
      out.set(field, { field, variable, value: coerce(kind, variable, raw) });
  }
  for (const [field, kind] of Object.entries(ENV_FIELDS)) {
    const variable = envNameFor(field);
    const raw = env[variable];
    if (raw !== undefined) out.set(field, { field, variable, value: coerce(kind, variable, raw) });
  }
  return [...out.values()];
}

/** Sets `a.b.c` in a plain object, creating intermediate objects. */
export function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] ?? dotted] = value;
}
