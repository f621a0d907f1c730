/**
 * A second dataset (a file prefix of its own) through `query` and `export`: `--dataset` picks its days, an unknown
 * one is a usage error, and the lake keeps each dataset in its own `dataset=` partition. Also the query cache
 * refused inside a tier. The single-dataset behaviour is tested in query.test.ts and export.test.ts.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, tempDir } from '../helpers/cli.js';

const NOW = '2026-03-12T06:00:00Z';
const COUNT = 'SELECT count(*) AS n FROM ticks';

describe('two datasets', () => {
  const t = tempDir('tickdb-datasets-');
  const root = join(t.dir, 'root');
  const config = join(t.dir, 'config.json');
  const cli = (args: string[]) => runCli([...args, '--root', root, '--config', config, '--now', NOW]);
  beforeAll(() => {
    writeFileSync(config, JSON.stringify({ compressionLevel: 3, datasets: [{ prefix: 'ticks' }, { prefix: 'fx' }] }));
    for (const [dataset, rows] of [
      ['ticks', '200'],
      ['fx', '300'],
    ] as const) {
      const sim = cli(['simulate', '--days', '3', '--rows', rows, '--dataset', dataset]);
      expect(sim.code, sim.stderr).toBe(0);
    }
    const run = cli(['run', '--once']);
    expect(run.code, run.stderr).toBe(0);
  });
  afterAll(() => t.cleanup());

  it('query: --dataset picks that dataset, the first configured by default, an unknown one exits 2', () => {
    const csv = (dataset?: string) => {
      const r = cli([
        'query',
        COUNT,
        '--from',
        '2026-03-09',
        '--to',
        '2026-03-11',
        '--format',
        'csv',
        ...(dataset === undefined ? [] : ['--dataset', dataset]),
      ]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim().split('\r\n');
    };
    expect(csv()).toEqual(['day,n', '2026-03-09,200', '2026-03-10,200', '2026-03-11,200']);
    expect(csv('fx')).toEqual(['day,n', '2026-03-09,300', '2026-03-10,300', '2026-03-11,300']);
    const unknown = cli(['query', COUNT, '--from', '2026-03-11', '--dataset', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/nope/);
  });

  it('export: --dataset writes only that dataset, under its own dataset= partition', () => {
    const lake = join(t.dir, 'lake');
    const r = cli(['export', '--from', '2026-03-09', '--to', '2026-03-11', '--dir', lake, '--dataset', 'fx', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = parseJson<{ days: { dataset: string; rows?: number }[] }>(r.stdout);
    expect(report.days.map((d) => [d.dataset, d.rows])).toEqual([
      ['fx', 300],
      ['fx', 300],
      ['fx', 300],
    ]);
    expect(readdirSync(lake)).toEqual(['dataset=fx']);
    expect(existsSync(join(lake, 'dataset=fx', 'date=2026-03-10', 'part-0.parquet'))).toBe(true);
  });

  it('query: a cache folder inside a tier is refused before anything is read', () => {
    const inside = join(root, 'archive', 'cache');
    const r = runCli(['query', COUNT, '--from', '2026-03-09', '--root', root, '--config', config, '--now', NOW], {
      env: { TICKDB_QUERY_CACHE_DIR: inside },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/queryCache\.dir/);
    expect(existsSync(inside)).toBe(false);
  });
});
