import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { envNameFor } from '../../../src/config/env.js';
import { loadConfig } from '../../../src/config/load.js';
import { TickdbError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function configFile(content: unknown): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const path = join(t.dir, 'tickdb.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function configError(fn: () => unknown): TickdbError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TickdbError) return err;
    throw err;
  }
  throw new Error('expected a configuration error');
}

describe('configuration', () => {
  it('has a default for every field', () => {
    const { config } = loadConfig({ env: {} });
    expect(config).toMatchObject({
      root: './data/ticks',
      compressAfterDays: 7,
      archiveAfterDays: 30,
      purgeAfterDays: 180,
      backupRetentionDays: 30,
      graceMinutes: 15,
      compressionLevel: 19,
      minimumRetentionDays: 0,
      maxPurgeDaysPerRun: 31,
      legalHolds: [],
      schedules: {
        rotate: '0 0 * * *',
        compress: '0 2 * * *',
        archive: '30 2 * * *',
        purge: '30 2 * * *',
        status: '0 * * * *',
      },
    });
    expect(config.datasets[0]?.prefix).toBe('ticks');
    expect(config.datasets[0]?.schemaSql).toMatch(/CREATE TABLE IF NOT EXISTS ticks/);
  });

  it("applies flag > env > file > defaults, and the older scripts' variables below TICKDB_*", () => {
    const file = configFile({ root: '/from/file', compressionLevel: 5, compressAfterDays: 9 });
    const env = {
      TICKDB_ROOT: '/from/env',
      COMPRESSION_LEVEL: '7',
      DAYS_BEFORE_COMPRESS: '8',
      TICKDB_COMPRESS_AFTER_DAYS: '10',
      RETENTION_DAYS: '200',
      DRY_RUN: '1',
    };
    const { config, sources } = loadConfig({ configFile: file, env, flags: { root: '/from/flag' } });
    expect(config.root).toBe('/from/flag');
    expect(config.compressionLevel).toBe(7);
    expect(config.compressAfterDays).toBe(10);
    expect(config.purgeAfterDays).toBe(200);
    expect(config.dryRun).toBe(true);
    expect(sources.compressAfterDays).toBe('env TICKDB_COMPRESS_AFTER_DAYS');
    expect(sources.root).toBe('flag --root');
    expect(loadConfig({ configFile: file, env: { TICKDB_ROOT: '/from/env' } }).config.root).toBe('/from/env');
    expect(loadConfig({ env: { TICKDB_CONFIG: file } }).config.root).toBe('/from/file');
  });

  it('names env variables after the field', () => {
    expect(envNameFor('compressionLevel')).toBe('TICKDB_COMPRESSION_LEVEL');
    expect(envNameFor('schedules.rotate')).toBe('TICKDB_SCHEDULES_ROTATE');
    expect(envNameFor('frameSizeMib')).toBe('TICKDB_FRAME_SIZE_MIB');
  });

  it('ignores TICKDB_* variables that are not config fields', () => {
    expect(() => loadConfig({ env: { TICKDB_FAULT: 'compress:after-rename', TICKDB_WHATEVER: 'x' } })).not.toThrow();
  });

  it.each([
    [{ compressAfterDays: -3 }, /compressAfterDays = -3/],
    [
      { compressAfterDays: 10, archiveAfterDays: 5 },
      /archiveAfterDays \(5\) must be greater than compressAfterDays \(10\)/,
    ],
    [{ retention: 3 }, /unknown field "retention"/],
    [{ schedules: { rotate: '61 * * * *' } }, /schedules\.rotate = "61 \* \* \* \*": not a valid cron/],
    [{ compressionLevel: 'high' }, /compressionLevel = "high"/],
    [{ compressionLevel: 23 }, /compressionLevel = 23/],
    [{ minimumRetentionDays: 2190 }, /purgeAfterDays \(180\) is below minimumRetentionDays \(2190\)/],
    [{ legalHolds: [{ reason: 'SEC inquiry' }] }, /legalHolds\.0/],
    [{ legalHolds: [{ day: '2026-02-30', reason: 'x' }] }, /legalHolds\.0\.day = "2026-02-30"/],
    [{ datasets: [{ prefix: 'a_b' }] }, /datasets\.0\.prefix = "a_b"/],
    [
      { diskSpace: { warnFreePercent: 5, critFreePercent: 10 } },
      /critFreePercent \(10\) must not exceed warnFreePercent \(5\)/,
    ],
  ])('rejects %j naming the field and the value', (content, message) => {
    const err = configError(() => loadConfig({ configFile: configFile(content), env: {} }));
    expect(err.code).toBe('CONFIG');
    expect(err.message).toMatch(message);
  });

  it('rejects a non-numeric env value naming the variable', () => {
    const err = configError(() => loadConfig({ env: { TICKDB_COMPRESSION_LEVEL: 'max' } }));
    expect(err.message).toMatch(/TICKDB_COMPRESSION_LEVEL="max" is not a number/);
    expect(configError(() => loadConfig({ env: { RETENTION_DAYS: '6 months' } })).message).toMatch(/RETENTION_DAYS/);
  });

  it('reports a config file that is not JSON with its path', () => {
    const path = configFile('{ "root": ');
    expect(configError(() => loadConfig({ configFile: path, env: {} })).message).toContain(path);
  });
});
