import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJson, runCli, tempDir } from '../helpers/cli.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

interface View {
  configFile: string | null;
  fields: { field: string; value: unknown; source: string }[];
  datasets: { prefix: string; thresholds: Record<string, { value: number; source: string }> }[];
  legalHolds: { reason: string; covers: string }[];
  schedules: { job: string; cron: string; source: string; nextRuns: string[] }[];
}

function writeConfig(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
}

describe('tickdb policy', () => {
  // 2026-03-11 is a Wednesday.
  const now = '2026-03-11T10:00:00Z';

  it('shows every field with its source, per-dataset thresholds, legal holds and the next runs for --now', () => {
    const file = writeConfig('tickdb.json', {
      compressAfterDays: 5,
      schedules: { compress: '0 2 * * 0' },
      datasets: [{ prefix: 'ticks' }, { prefix: 'quotes', purgeAfterDays: 400 }],
      legalHolds: [{ dataset: 'quotes', day: '2025-12-01', reason: 'litigation hold 7' }],
    });
    const root = join(dir, 'root');
    const args = ['policy', '--config', file, '--root', root, '--now', now];
    const r = runCli([...args, '--json'], { env: { TICKDB_GRACE_MINUTES: '20' } });
    expect(r.code, r.stderr).toBe(0);
    const view = parseJson<View>(r.stdout);
    const field = (name: string) => view.fields.find((f) => f.field === name);
    expect(view.configFile).toBe(file);
    expect(field('compressAfterDays')).toEqual({ field: 'compressAfterDays', value: 5, source: `file ${file}` });
    expect(field('graceMinutes')).toEqual({ field: 'graceMinutes', value: 20, source: 'env TICKDB_GRACE_MINUTES' });
    expect(field('root')).toEqual({ field: 'root', value: root, source: 'flag --root' });
    expect(field('purgeAfterDays')).toEqual({ field: 'purgeAfterDays', value: 180, source: 'default' });
    expect(field('schedules.compress')?.source).toBe(`file ${file}`);
    expect(field('schedules.rotate')?.source).toBe('default');
    const quotes = view.datasets.find((d) => d.prefix === 'quotes');
    expect(quotes?.thresholds.purgeAfterDays).toEqual({ value: 400, source: 'dataset' });
    expect(quotes?.thresholds.compressAfterDays).toEqual({ value: 5, source: `global: file ${file}` });
    expect(view.legalHolds).toEqual([
      expect.objectContaining({ reason: 'litigation hold 7', covers: 'quotes: 2025-12-01' }),
    ]);
    const runs = Object.fromEntries(view.schedules.map((s) => [s.job, s.nextRuns]));
    expect(runs.compress).toEqual(['2026-03-15T02:00:00.000Z', '2026-03-22T02:00:00.000Z', '2026-03-29T02:00:00.000Z']);
    expect(runs.rotate?.[0]).toBe('2026-03-12T00:00:00.000Z');
    expect(runs.purge?.[0]).toBe('2026-03-12T02:30:00.000Z');
    expect(runs.status?.[0]).toBe('2026-03-11T11:00:00.000Z');

    const human = runCli(args, { env: { TICKDB_GRACE_MINUTES: '20' } });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/graceMinutes\s+20\s+env TICKDB_GRACE_MINUTES/);
    expect(human.stdout).toMatch(/compress\s+0 2 \* \* 0\s+file .*2026-03-15T02:00:00.000Z, 2026-03-22T02:00:00.000Z/);
    expect(human.stdout).toContain('litigation hold 7');
    expect(human.stdout).toContain('dataset quotes');
  });

  it('--check FILE: a valid file prints "FILE: valid" and exits 0, whatever the environment says', () => {
    const file = writeConfig('good.json', { purgeAfterDays: 400, minimumRetentionDays: 365 });
    const r = runCli(['policy', '--check', file], { env: { TICKDB_COMPRESSION_LEVEL: '99' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${file}: valid\n`);
  });

  it('--check FILE: an invalid file exits 2 naming the field and the value', () => {
    const below = writeConfig('below.json', { purgeAfterDays: 200, minimumRetentionDays: 2190 });
    const r = runCli(['policy', '--check', below]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(below);
    expect(r.stderr).toMatch(/purgeAfterDays.*200.*minimumRetentionDays/);

    const unknown = runCli(['policy', '--check', writeConfig('unknown.json', { compresAfterDays: 3 })]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"compresAfterDays"');

    const json = runCli(['policy', '--check', writeConfig('broken.json', '{ not json'), '--json']);
    expect(json.code).toBe(2);
    expect(parseJson<{ ok: boolean; error: { code: string } }>(json.stdout)).toMatchObject({
      ok: false,
      error: { code: 'CONFIG' },
    });

    const missing = runCli(['policy', '--check', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json');
  });
});
