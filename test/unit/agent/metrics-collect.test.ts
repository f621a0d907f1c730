import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectMetrics, writeMetricsFile } from '../../../src/agent/metrics-collect.js';
import { loadConfig } from '../../../src/config/load.js';
import { metadataPath, tierDirs } from '../../../src/layout/tiers.js';
import { tempDir } from '../../helpers/cli.js';
import { openFixture } from '../lifecycle/fixture-tree.js';

describe('collectMetrics / writeMetricsFile', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.reverse()) c();
    cleanups.length = 0;
  });

  it('counts day files per tier and dataset, with zeros for the empty pairs; disks of tiers not created yet', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const config = loadConfig({ flags: { root: dir }, env: {} }).config;
    const dirs = tierDirs({ root: dir });
    mkdirSync(join(dirs.db, '2026', '03'), { recursive: true });
    writeFileSync(join(dirs.db, '2026', '03', 'ticks_2026-03-10.db'), Buffer.alloc(4096));
    writeFileSync(join(dirs.db, '2026', '03', 'ticks_2026-03-10.db-wal'), Buffer.alloc(100)); // a side file: not a day file
    writeFileSync(join(dirs.db, '2026', '03', 'ticks_2026-03-01.db.zst'), Buffer.alloc(1000));
    const s = await collectMetrics({ config, dirs, now: new Date('2026-03-10T13:00:00Z'), agent: { up: true } });
    expect(s.tiers).toEqual([
      { tier: 'db', dataset: 'ticks', files: 2, bytes: 5096 },
      { tier: 'archive', dataset: 'ticks', files: 0, bytes: 0 },
      { tier: 'backup', dataset: 'ticks', files: 0, bytes: 0 },
    ]);
    expect(s.disk.map((d) => d.tier)).toEqual(['db', 'archive', 'backup']); // archive/ and backup/ do not exist yet
    for (const d of s.disk) expect(d.sizeBytes).toBeGreaterThan(0);
    expect(s.metadataOk).toBe(true); // none yet is fine: a fresh root
    expect(s.jobs.map((j) => j.consecutiveFailures)).toEqual([0, 0, 0, 0]);

    writeFileSync(
      metadataPath(dirs),
      JSON.stringify({
        schemaVersion: 1,
        tool: 'tickdb',
        updatedAt: '2026-03-10T13:00:00Z',
        audit: { lastHash: '0'.repeat(64), count: 7 },
        days: {
          'ticks/2026-03-01': { dataset: 'ticks', day: '2026-03-01', state: 'compressed', bytes: 4000, zstBytes: 1000 },
          'ticks/2026-03-02': { dataset: 'ticks', day: '2026-03-02', state: 'archived', bytes: 4000, zstBytes: 2000 },
          'ticks/2026-03-09': { dataset: 'ticks', day: '2026-03-09', state: 'live', busySince: '2026-03-10T00:15:00Z' },
          'ticks/2026-03-08': { dataset: 'ticks', day: '2026-03-08', state: 'quarantined' },
        },
        jobs: {
          compress: {
            startedAt: '2026-03-10T02:00:00Z',
            finishedAt: '2026-03-10T02:00:09Z',
            ok: false,
            counts: {},
            errors: ['x'],
          },
        },
      }),
    );
    const t = await collectMetrics({ config, dirs, now: new Date('2026-03-10T13:00:00Z'), agent: { up: true } });
    expect(t.metadataOk).toBe(true);
    expect(t.auditLines).toBe(7);
    expect(t.compression).toEqual([{ dataset: 'ticks', ratio: 3000 / 8000 }]);
    expect(t.busyDays).toEqual([{ dataset: 'ticks', count: 1 }]);
    expect(t.quarantinedDays).toEqual([{ dataset: 'ticks', count: 1 }]);
    expect(t.jobs.find((j) => j.job === 'compress')).toMatchObject({ lastRunOk: false, consecutiveFailures: 1 });
  });

  it('counts the days with overdue work in tickdb_backlog, per dataset, as status does', async () => {
    const t = await openFixture('sealed-day'); // 2026-03-01, sealed
    cleanups.push(t.cleanup);
    const backlog = async (now: Date) =>
      (await collectMetrics({ config: t.ctx.config, dirs: t.dirs, now, agent: { up: true } })).ops?.backlog;
    // Nothing is overdue the day after it (a rotation step is overdue from age 2); nine days on, work is.
    expect(await backlog(new Date('2026-03-02T12:00:00Z'))).toEqual([{ dataset: 'ticks', count: 0 }]);
    expect(await backlog(new Date('2026-03-11T12:00:00Z'))).toEqual([{ dataset: 'ticks', count: 1 }]);
  });

  it('writes atomically into a directory it creates, removing the temporary file of a crashed write', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'metrics', 'sub', 'tickdb.prom');
    await writeMetricsFile(path, 'a 1\n');
    writeFileSync(join(dir, 'metrics', 'sub', '.tickdb.prom.99999.tmp'), 'torn');
    writeFileSync(join(dir, 'metrics', 'sub', 'other.prom'), 'x 1\n');
    await writeMetricsFile(path, 'a 2\n');
    expect(readFileSync(path, 'utf8')).toBe('a 2\n');
    expect(readdirSync(join(dir, 'metrics', 'sub')).sort()).toEqual(['other.prom', 'tickdb.prom']);
    expect(existsSync(join(dir, 'metrics', 'sub', '.tickdb.prom.99999.tmp'))).toBe(false);
  });
});
