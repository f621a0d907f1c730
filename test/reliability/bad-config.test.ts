import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { describeError, exitCodeFor } from '../../src/errors.js';
import {
  configSchema,
  datasetSchema,
  diskSpaceSchema,
  exportSchema,
  legalHoldSchema,
  queryCacheSchema,
  schedulesSchema,
} from '../../src/config/schema.js';
import { tempDir } from '../helpers/cli.js';
import { runCliAsync } from '../helpers/faults.js';

/**
 * A config file with each field given a value of the wrong type: exit 2 naming the field and the value, before
 * anything is touched. Each field alone goes through the config loader in-process (fast); the CLI is run on two
 * files holding every wrong field at once (it reports them all). The tables below must cover every field of the schema (checked first), so a
 * new field cannot be added without its wrong-type case.
 */
const TOP: Record<string, unknown> = {
  root: 5,
  datasets: 'ticks',
  compressAfterDays: '7',
  archiveAfterDays: '30',
  purgeAfterDays: true,
  backupRetentionDays: [30],
  compressionLevel: '19',
  compressionThreads: { n: 2 },
  frameSizeMib: '32',
  graceMinutes: null,
  schedules: 'daily',
  archiveDir: 7,
  archiveTarget: 's3',
  backupDir: false,
  metricsFile: ['m.prom'],
  diskSpace: 15,
  queryCache: '/var/cache',
  export: '/lake',
  walWarnBytes: '1GiB',
  legalHolds: { reason: 'x' },
  minimumRetentionDays: '0',
  maxPurgeDaysPerRun: '31',
  fileMode: 644,
  fileOwner: true,
  fileGroup: ['tick'],
  tomorrowDueHour: '12',
  dryRun: 'yes',
  logLevel: 3,
};
const DATASET: Record<string, unknown> = {
  prefix: 1,
  schemaSql: 1,
  timestampColumn: 1,
  symbolColumn: 2,
  tableName: ['ticks'],
  compressAfterDays: '3',
  archiveAfterDays: false,
  purgeAfterDays: '9',
  backupRetentionDays: {},
  compressionLevel: '3',
};
const HOLD: Record<string, unknown> = { dataset: 1, day: 20260101, from: true, to: null, reason: 5 };
const SCHEDULES: Record<string, unknown> = {
  rotate: 0,
  compress: true,
  archive: null,
  purge: ['* * * * *'],
  status: 60,
  drill: 7,
  export: 8,
};
const DISK: Record<string, unknown> = { warnFreePercent: '15', critFreePercent: true };
const QUERY_CACHE: Record<string, unknown> = { dir: 5, maxBytes: '4G' };
const EXPORT: Record<string, unknown> = {
  dir: 5,
  afterDays: '1',
  rowGroupRows: '131072',
  compressionLevel: true,
  threadsFromBytes: -1,
};

interface Case {
  field: string;
  value: unknown;
  config: Record<string, unknown>;
}

const cases: Case[] = [
  ...Object.entries(TOP).map(([k, v]) => ({ field: k, value: v, config: { [k]: v } })),
  ...Object.entries(DATASET).map(([k, v]) => ({
    field: `datasets.0.${k}`,
    value: v,
    config: { datasets: [{ prefix: 'ticks', [k]: v }] },
  })),
  ...Object.entries(HOLD).map(([k, v]) => ({
    field: `legalHolds.0.${k}`,
    value: v,
    config: { legalHolds: [{ day: '2026-01-01', reason: 'SEC', [k]: v }] },
  })),
  ...Object.entries(SCHEDULES).map(([k, v]) => ({
    field: `schedules.${k}`,
    value: v,
    config: { schedules: { [k]: v } },
  })),
  ...Object.entries(DISK).map(([k, v]) => ({ field: `diskSpace.${k}`, value: v, config: { diskSpace: { [k]: v } } })),
  ...Object.entries(QUERY_CACHE).map(([k, v]) => ({
    field: `queryCache.${k}`,
    value: v,
    config: { queryCache: { [k]: v } },
  })),
  ...Object.entries(EXPORT).map(([k, v]) => ({
    field: `export.${k}`,
    value: v,
    config: { export: { dir: '/lake', [k]: v } },
  })),
];

describe('a config with every wrong type', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir('tickdb-cfg-')));
  afterAll(() => cleanup());

  it('covers every field of the schema', () => {
    expect(Object.keys(TOP).sort()).toEqual(Object.keys(configSchema.shape).sort());
    expect(Object.keys(DATASET).sort()).toEqual(Object.keys(datasetSchema.shape).sort());
    expect(Object.keys(HOLD).sort()).toEqual(Object.keys(legalHoldSchema.shape).sort());
    expect(Object.keys(SCHEDULES).sort()).toEqual(Object.keys(schedulesSchema.shape).sort());
    expect(Object.keys(DISK).sort()).toEqual(Object.keys(diskSpaceSchema.shape).sort());
    expect(Object.keys(QUERY_CACHE).sort()).toEqual(Object.keys(queryCacheSchema.shape).sort());
    expect(Object.keys(EXPORT).sort()).toEqual(Object.keys(exportSchema.shape).sort());
  });

  it(`rejects each of ${cases.length} fields alone as a CONFIG error (exit 2) naming the field, its value and the file`, () => {
    const failures: string[] = [];
    cases.forEach((c, i) => {
      const file = join(dir, `c${i}.json`);
      writeFileSync(file, JSON.stringify(c.config));
      try {
        loadConfig({ configFile: file, env: {} });
        failures.push(`${c.field}: accepted`);
      } catch (err) {
        const text = describeError(err);
        if (exitCodeFor(err) !== 2) failures.push(`${c.field}: exit ${exitCodeFor(err)} (${text})`);
        if (!text.includes(`${c.field} = ${JSON.stringify(c.value)}`))
          failures.push(`${c.field}: not named in "${text}"`);
        if (!text.includes(file)) failures.push(`${c.field}: file not named in "${text}"`);
      }
    });
    expect(failures).toEqual([]);
  });

  it.each([
    ['every top-level field', TOP, cases.filter((c) => !c.field.includes('.'))],
    [
      'every field of a dataset, a legal hold, the schedules, diskSpace and export',
      {
        datasets: [DATASET],
        legalHolds: [HOLD],
        schedules: SCHEDULES,
        diskSpace: DISK,
        queryCache: QUERY_CACHE,
        export: EXPORT,
      },
      cases.filter((c) => c.field.includes('.')),
    ],
  ])(
    'the CLI, given %s wrong at once, exits 2 naming each of them and creates nothing',
    async (_what, config, named) => {
      const file = join(dir, `all-${Object.keys(config).length}.json`);
      const root = join(dir, 'never');
      writeFileSync(file, JSON.stringify(config));
      const rootArgs = 'root' in config ? [] : ['--root', root]; // a --root flag would override the field under test
      const r = await runCliAsync(['run', '--once', ...rootArgs, '--config', file, '--now', '2026-03-14T12:00:00Z']);
      expect(r.code, r.stderr).toBe(2);
      for (const c of named) expect(r.stderr, c.field).toContain(`${c.field} = ${JSON.stringify(c.value)}`);
      expect(existsSync(root)).toBe(false);
      const st = await runCliAsync(['status', ...rootArgs, '--config', file]);
      expect(st.code).toBe(3); // status: UNKNOWN for its own config errors
      expect(st.stdout).toMatch(/^TICKDB UNKNOWN - .*invalid configuration: /);
    },
  );
});
