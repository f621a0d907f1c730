import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { TickdbError, errnoOf } from '../errors.js';
import { findTierOverlap } from '../layout/tier-overlap.js';
import { tierDirs } from '../layout/tiers.js';
import { envOverrides, setPath } from './env.js';
import { configSchema, type Config } from './schema.js';

export interface ConfigFlags {
  root?: string | undefined;
  dryRun?: boolean | undefined;
  logLevel?: string | undefined;
}

export interface LoadedConfig {
  config: Config;
  /** The config file read, if any. */
  file: string | undefined;
  /** Where each overridden field came from (`env TICKDB_X`, `flag --root`, `file PATH`). */
  sources: Record<string, string>;
}

export interface LoadOptions {
  configFile?: string | undefined;
  flags?: ConfigFlags;
  env?: NodeJS.ProcessEnv;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TickdbError('CONFIG', `cannot read config file ${file}: ${errnoOf(err) ?? String(err)}`, {
      path: file,
      hint: 'check --config / TICKDB_CONFIG',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new TickdbError('CONFIG', `config file ${file} is not valid JSON: ${(err as Error).message}`, { path: file });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TickdbError('CONFIG', `config file ${file} must hold a JSON object`, { path: file });
  }
  return parsed as Record<string, unknown>;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown, sources: Record<string, string>): string {
  const field = issue.path.map(String).join('.') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    const where = field === '(root)' ? '' : ` in ${field}`;
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}${where}`;
  }
  const value = valueAt(input, issue.path);
  const shown = value === undefined ? 'missing' : JSON.stringify(value);
  const source = sources[field];
  return `${field} = ${shown}: ${issue.message}${source === undefined ? '' : ` (from ${source})`}`;
}

/**
 * Loads the configuration: defaults < config file < environment < flags. Any invalid value is a CONFIG error
 * (exit 2) naming the field and the value; nothing is touched before the configuration is valid.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const fileOption = options.configFile ?? env.TICKDB_CONFIG;
  const file = fileOption === undefined || fileOption === '' ? undefined : resolve(fileOption);
  const input: Record<string, unknown> = file === undefined ? {} : readConfigFile(file);
  const sources: Record<string, string> = {};
  if (file !== undefined) {
    for (const [key, value] of Object.entries(input)) {
      sources[key] = `file ${file}`;
      // Nested objects (schedules, diskSpace): each field the file sets, so `policy` can tell them from defaults.
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        for (const sub of Object.keys(value)) sources[`${key}.${sub}`] = `file ${file}`;
    }
  }
  for (const o of envOverrides(env)) {
    setPath(input, o.field, o.value);
    sources[o.field] = `env ${o.variable}`;
  }
  const flags = options.flags ?? {};
  if (flags.root !== undefined) [input.root, sources.root] = [flags.root, 'flag --root'];
  if (flags.dryRun === true) [input.dryRun, sources.dryRun] = [true, 'flag --dry-run'];
  if (flags.logLevel !== undefined) [input.logLevel, sources.logLevel] = [flags.logLevel, 'flag --log-level'];

  const result = configSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => describeIssue(i, input, sources));
    const first = result.error.issues[0];
    throw new TickdbError('CONFIG', `invalid configuration: ${lines.join('; ')}`, {
      path: first === undefined ? file : first.path.map(String).join('.'),
      hint:
        file === undefined ? 'fix the value named above' : `fix the value named above in ${file} or the environment`,
    });
  }
  const config = result.data;
  // archiveTarget {type: "filesystem", dir} is archiveDir written in full: the tiers read archiveDir.
  if (config.archiveTarget?.type === 'filesystem') config.archiveDir = config.archiveTarget.dir;
  refuseOverlappingTiers(config, sources);
  return { config, file, sources };
}

/** Tier paths equal to or inside one another are a CONFIG error naming both fields (DESIGN: tiers). */
function refuseOverlappingTiers(config: Config, sources: Record<string, string>): void {
  const dirs = tierDirs({
    root: config.root,
    archiveDir: config.archiveDir,
    backupDir: config.backupDir,
    metricsFile: config.metricsFile,
  });
  const overlap = findTierOverlap(dirs);
  if (overlap === undefined) return;
  const describe = (t: typeof overlap.inner): string => {
    const what =
      t.tier === 'db'
        ? `the db tier of root (${t.path})`
        : t.tier === 'metricsFile'
          ? `metricsFile (${t.path})`
          : `${t.field} (${t.path})`;
    const from = sources[t.field];
    return `${what}${from === undefined ? ' (default)' : ` (from ${from})`}`;
  };
  throw new TickdbError(
    'CONFIG',
    `invalid configuration: ${describe(overlap.inner)} is ${overlap.equal ? 'the same path as' : 'inside'} ${describe(overlap.outer)}; ` +
      `fields ${overlap.inner.field} and ${overlap.outer.field} overlap`,
    {
      path: overlap.inner.field,
      hint: 'give each tier (root/db, backupDir, archiveDir, metricsFile) its own place, none equal to or inside another',
    },
  );
}
