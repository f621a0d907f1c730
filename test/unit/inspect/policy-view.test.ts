import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { tierDirs } from '../../../src/layout/tiers.js';
import { buildPolicyView } from '../../../src/inspect/policy-view.js';

const dir = mkdtempSync(join(tmpdir(), 'tickdb-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('buildPolicyView', () => {
  const file = join(dir, 'tickdb.json');
  writeFileSync(
    file,
    JSON.stringify({
      compressAfterDays: 5,
      schedules: { compress: '0 2 * * 0' },
      datasets: [{ prefix: 'ticks' }, { prefix: 'quotes', purgeAfterDays: 400 }],
      legalHolds: [{ dataset: 'quotes', from: '2025-01-01', to: '2025-06-30', reason: 'SEC inquiry 42' }],
    }),
  );
  const loaded = loadConfig({
    configFile: file,
    env: { TICKDB_GRACE_MINUTES: '20' },
    flags: { root: join(dir, 'root') },
  });
  const view = buildPolicyView(loaded, tierDirs({ root: loaded.config.root }), new Date('2026-03-11T10:00:00Z'), 3);
  const field = (name: string) => view.fields.find((f) => f.field === name);

  it('gives every field its value and its source', () => {
    expect(field('compressAfterDays')).toEqual({ field: 'compressAfterDays', value: 5, source: `file ${file}` });
    expect(field('graceMinutes')).toEqual({ field: 'graceMinutes', value: 20, source: 'env TICKDB_GRACE_MINUTES' });
    expect(field('root')?.source).toBe('flag --root');
    expect(field('archiveAfterDays')).toEqual({ field: 'archiveAfterDays', value: 30, source: 'default' });
    expect(field('archiveDir')).toEqual({ field: 'archiveDir', value: undefined, source: 'default' });
  });

  it('tells a nested field set by the file from its defaulted siblings', () => {
    expect(field('schedules.compress')?.source).toBe(`file ${file}`);
    expect(field('schedules.rotate')?.source).toBe('default');
  });

  it('gives each dataset its effective thresholds, own or global', () => {
    const quotes = view.datasets.find((d) => d.prefix === 'quotes');
    expect(quotes?.thresholds.purgeAfterDays).toEqual({ value: 400, source: 'dataset' });
    expect(quotes?.thresholds.compressAfterDays).toEqual({ value: 5, source: `global: file ${file}` });
    expect(view.datasets.find((d) => d.prefix === 'ticks')?.thresholds.purgeAfterDays).toEqual({
      value: 180,
      source: 'global: default',
    });
  });

  it('lists legal holds and the next runs after now, in UTC', () => {
    expect(view.legalHolds).toEqual([
      expect.objectContaining({ reason: 'SEC inquiry 42', covers: 'quotes: 2025-01-01 .. 2025-06-30' }),
    ]);
    const compress = view.schedules.find((s) => s.job === 'compress');
    expect(compress?.nextRuns).toEqual([
      '2026-03-15T02:00:00.000Z',
      '2026-03-22T02:00:00.000Z',
      '2026-03-29T02:00:00.000Z',
    ]);
    expect(view.schedules.find((s) => s.job === 'status')?.nextRuns[0]).toBe('2026-03-11T11:00:00.000Z');
  });

  it('says which missed jobs the agent does at start: the export, not the drill (src/agent/daemon.ts)', () => {
    const note = (job: string): string | undefined => view.schedules.find((s) => s.job === job)?.note;
    expect(view.schedules.find((s) => s.job === 'export')?.cron).toBe('0 3 * * *');
    expect(note('export')).toBe('due work missed while the agent was down is done at start');
    expect(note('drill')).toMatch(/^a drill missed while the agent was down is not run at start/);
    expect(note('status')).toBeUndefined();
  });
});

describe('buildPolicyView with an S3 archive tier', () => {
  it('names the bucket, its prefix for this host and its Object Lock among the tiers; none without one', () => {
    const file = join(dir, 's3.json');
    writeFileSync(
      file,
      JSON.stringify({
        archiveTarget: {
          type: 's3',
          endpoint: 'http://127.0.0.1:7480',
          bucket: 'ticks-archive',
          prefix: 'desk/{host}/',
          objectLock: { mode: 'COMPLIANCE' },
        },
      }),
    );
    const loaded = loadConfig({ configFile: file, env: {}, flags: { root: join(dir, 'root') } });
    const view = buildPolicyView(loaded, tierDirs({ root: loaded.config.root }), new Date('2026-03-11T10:00:00Z'), 1);
    expect(view.remoteArchive).toBe(
      `s3://ticks-archive/desk/${hostname()}/ at http://127.0.0.1:7480 (Object Lock COMPLIANCE)`,
    );
    const plain = loadConfig({ env: {}, flags: { root: join(dir, 'root') } });
    expect(buildPolicyView(plain, tierDirs({ root: dir }), new Date(), 1).remoteArchive).toBeUndefined();
  });
});
