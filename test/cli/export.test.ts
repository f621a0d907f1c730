import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { collectMetrics } from '../../src/agent/metrics-collect.js';
import { renderMetrics } from '../../src/agent/metrics-render.js';
import { OpsPass } from '../../src/agent/ops-pass.js';
import { offsetClock } from '../../src/clock.js';
import { configSchema } from '../../src/config/schema.js';
import { exportDays } from '../../src/export/export-days.js';
import { tierDirs } from '../../src/layout/tiers.js';
import { createLogger } from '../../src/log.js';
import { parseJson, runCli, tempDir } from '../helpers/cli.js';
import { needProgram } from '../helpers/external-programs.js';
import { usePristineTree } from '../helpers/pristine-tree.js';

const NOW = '2026-03-31T12:00:00Z';
// 30 past days: ages 1-2 sealed .db, 3-9 compressed .db.zst in db/, 10-30 archived; every day has its backup.
const ENV = { TICKDB_COMPRESSION_LEVEL: '3', TICKDB_COMPRESS_AFTER_DAYS: '3', TICKDB_ARCHIVE_AFTER_DAYS: '10' };
const tree = usePristineTree({ days: 30, rows: 400, now: NOW, env: ENV });
const FROM = '2026-03-01';
const TO = '2026-03-30';

interface DayDoc {
  dataset: string;
  day: string;
  status: string;
  path: string;
  rows?: number;
  sha256?: string;
  code?: string;
  message: string;
}
interface Report {
  root: string;
  ok: boolean;
  days: DayDoc[];
  counts: Record<string, number>;
}

const lake = (): string => join(tree.root, '..', 'lake');
const partFile = (day: string): string => join(lake(), 'dataset=ticks', `date=${day}`, 'part-0.parquet');
const backupOf = (day: string): string =>
  join(tree.root, 'backup', day.slice(0, 4), day.slice(5, 7), `ticks_${day}.db`);
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const exportCli = (args: string[], env: Record<string, string> = {}) =>
  runCli(
    ['export', '--from', FROM, '--to', TO, '--dir', lake(), '--root', tree.root, '--now', NOW, '--json', ...args],
    // Threads from 0 bytes: these small days go through the worker threads as large ones do (the in-process
    // scheduled test below keeps the default, and reads them on one thread).
    { env: { ...ENV, TICKDB_EXPORT_DIR: lake(), TICKDB_EXPORT_THREADS_FROM_BYTES: '0', ...env } },
  );
const auditLines = (): { event: string; day?: string; sha256?: string; path?: string }[] =>
  readFileSync(join(tree.root, 'db', 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string });
const metadataDays = (): Record<string, { parquet?: { path: string; sha256: string; rows: number } }> =>
  (JSON.parse(readFileSync(join(tree.root, 'db', 'rotation_metadata.json'), 'utf8')) as { days: Record<string, never> })
    .days;
interface ExportJob {
  ok: boolean;
  counts: Record<string, number>;
  errors: string[];
  lastSuccessAt?: string;
}
const exportJob = (): ExportJob | undefined =>
  (
    JSON.parse(readFileSync(join(tree.root, 'db', 'rotation_metadata.json'), 'utf8')) as {
      jobs: { export?: ExportJob };
    }
  ).jobs.export;

/** One row as text: the timestamp and integers as decimal digits, doubles as JS prints them (shortest exact form). */
const normalize = (fields: unknown[]): string =>
  fields.map((v, i) => (i === 0 || i === 1 ? String(v) : String(Number(v)))).join('\t');

/**
 * sqlite3's own rows of a day for one symbol (the independent side of the comparison); doubles printed with 17
 * significant digits (the `!` flag: SQLite's exact conversion), which identify a double.
 */
function sqliteRows(db: string, symbol: string): string[] {
  const real = (c: string): string => `printf('%!.17g', ${c})`;
  const sql = `SELECT ts, symbol, ${real('bid')}, ${real('ask')}, bid_size, ask_size, ${real('last')}, volume FROM ticks WHERE symbol = '${symbol}' ORDER BY ts, rowid`;
  const out = execFileSync('sqlite3', ['-readonly', '-separator', '\t', db, sql], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((line) => normalize(line.split('\t')));
}

async function duck<T>(sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS() as T[];
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

describe.skipIf(!needProgram('sqlite3'))('tickdb export', () => {
  it('exports a 30-day tree to a verified Hive lake that DuckDB reads back as sqlite3 does, nanoseconds included', async () => {
    const r = exportCli([]);
    expect(r.code, r.stderr).toBe(0);
    const report = parseJson<Report>(r.stdout);
    expect(report.counts).toEqual({ exported: 30 });
    const meta = metadataDays();
    const audit = auditLines().filter((l) => l.event === 'exported');
    expect(audit).toHaveLength(30);
    for (const d of report.days) {
      expect(d.path).toBe(partFile(d.day));
      expect(d.rows).toBe(400);
      const digest = sha256(d.path);
      expect(d.sha256).toBe(digest);
      expect(meta[`ticks/${d.day}`]?.parquet).toMatchObject({ path: d.path, sha256: digest, rows: 400 });
      expect(audit.find((l) => l.day === d.day)).toMatchObject({ path: d.path, sha256: digest });
    }
    expect(readdirSync(join(lake(), 'dataset=ticks', 'date=2026-03-05')).sort()).toEqual(['part-0.parquet']);
    // inventory shows the export state of each file's day.
    const inv = runCli(['inventory', '--json', '--root', tree.root, '--now', NOW], { env: ENV });
    expect(inv.code, inv.stderr).toBe(0);
    const entries = parseJson<
      { day: string; tier: string; parquetPath: string | null; parquetSha256: string | null }[]
    >(inv.stdout);
    const day5 = entries.find((e) => e.day === '2026-03-05' && e.tier === 'archive');
    expect(day5).toMatchObject({ parquetPath: partFile('2026-03-05'), parquetSha256: sha256(partFile('2026-03-05')) });

    // The types a reader sees: TIMESTAMP(NANOS, UTC), its INT64 copy, DOUBLE, INT64, UTF8; ZSTD pages.
    const schema = await duck<{ name: string; type: string; logical_type: string | null }>(
      `SELECT name, type, logical_type FROM parquet_schema('${partFile('2026-03-05')}')`,
    );
    const types = Object.fromEntries(schema.map((s) => [s.name, `${s.type} ${s.logical_type ?? ''}`]));
    expect(types.ts).toMatch(/^INT64 TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(.*NANOS=NanoSeconds/);
    expect(types.ts_ns).toBe('INT64 ');
    expect(types.bid).toBe('DOUBLE ');
    expect(types.volume).toBe('INT64 ');
    expect(types.symbol).toMatch(/^BYTE_ARRAY StringType/);
    const codecs = await duck<{ c: string }>(
      `SELECT DISTINCT compression AS c FROM parquet_metadata('${partFile('2026-03-05')}')`,
    );
    expect(codecs.map((x) => x.c)).toEqual(['ZSTD']);

    // A quant's query: the lake through hive partitioning, filtered by date and symbol, against sqlite3 on the day.
    for (const [day, symbol] of [
      ['2026-03-29', 'AAPL'], // a sealed .db
      ['2026-03-25', 'MSFT'], // compressed in db/
      ['2026-03-05', 'SPY'], // archived
    ] as const) {
      const rows = await duck<Record<string, unknown>>(
        `SELECT ts_ns::VARCHAR AS ts, symbol, bid, ask, bid_size, ask_size, last, volume, epoch_us(ts)::VARCHAR AS us
         FROM read_parquet('${lake()}/**/*.parquet', hive_partitioning = true)
         WHERE date = DATE '${day}' AND symbol = '${symbol}' ORDER BY ts_ns`,
      );
      const expected = sqliteRows(backupOf(day), symbol);
      expect(rows.length).toBe(expected.length);
      expect(rows.length).toBeGreaterThan(0);
      const got = rows.map((x) => normalize([x.ts, x.symbol, x.bid, x.ask, x.bid_size, x.ask_size, x.last, x.volume]));
      expect(got).toEqual(expected);
      // DuckDB 1.5 reads the TIMESTAMP column at microseconds: its value is the nanosecond copy, truncated.
      for (const x of rows) expect(String(x.us)).toBe(String(BigInt(String(x.ts)) / 1000n));
      expect(rows.some((x) => !String(x.ts).endsWith('000'))).toBe(true);
    }
  });

  it('is idempotent: a second run skips every intact day and writes nothing; --force rewrites', () => {
    expect(exportCli([]).code).toBe(0);
    const before = Object.fromEntries(
      ['2026-03-02', '2026-03-29'].map((d) => [d, { sha: sha256(partFile(d)), mtime: statSync(partFile(d)).mtimeMs }]),
    );
    const auditCount = auditLines().length;
    const again = exportCli([]);
    expect(again.code, again.stderr).toBe(0);
    expect(parseJson<Report>(again.stdout).counts).toEqual({ skipped: 30 });
    expect(auditLines()).toHaveLength(auditCount);
    for (const [d, b] of Object.entries(before)) expect(statSync(partFile(d)).mtimeMs).toBe(b.mtime);
    // What a killed export leaves (its temporary file, a decompressed scratch copy) goes with the next export of the day.
    const dayDir = join(lake(), 'dataset=ticks', 'date=2026-03-02');
    writeFileSync(join(dayDir, '.part-0.parquet.999999.tmp'), 'torn');
    writeFileSync(join(dayDir, '.ticks_2026-03-02.999999.db.tmp'), 'torn');
    const forced = exportCli(['--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(parseJson<Report>(forced.stdout).counts).toEqual({ exported: 30 });
    expect(auditLines().filter((l) => l.event === 'exported')).toHaveLength(60);
    for (const [d, b] of Object.entries(before)) expect(sha256(partFile(d))).toBe(b.sha);
    expect(readdirSync(dayDir)).toEqual(['part-0.parquet']);
  });

  it('a verification mismatch is an error naming the day, and leaves no file behind', () => {
    const r = exportCli([], { TICKDB_FAULT: 'export:damage-row' });
    expect(r.code).toBe(1);
    const report = parseJson<Report>(r.stdout);
    expect(report.ok).toBe(false);
    const failed = report.days.filter((d) => d.status === 'failed');
    expect(failed).toHaveLength(30);
    expect(failed[0]).toMatchObject({ code: 'VERIFY', day: FROM });
    // One nanosecond off in one row: the timestamp's exact checksum (sum of ts mod 1000000007) tells.
    expect(failed[0]?.message).toMatch(
      /export of ticks 2026-03-01 does not match its database: ts sum: SQLite \d+, Parquet \d+/,
    );
    // No file, and no empty date= or dataset= folder that a reader would list as a partition.
    expect(existsSync(lake()) ? readdirSync(lake(), { recursive: true }) : []).toEqual([]);
    expect(auditLines().filter((l) => l.event === 'exported')).toHaveLength(0);
    expect(Object.values(metadataDays()).filter((d) => d.parquet !== undefined)).toHaveLength(0);
    // The run's outcome is recorded like the other jobs': failed, each failed day named.
    const job = exportJob();
    expect(job).toMatchObject({ ok: false, counts: { failed: 30 } });
    expect(job?.errors[0]).toMatch(/^ticks 2026-03-01: export of ticks 2026-03-01 does not match/);
  });

  it('reports a day purged before it was exported, and exports the rest', () => {
    const purge = runCli(['purge', '--root', tree.root, '--now', NOW], {
      env: { ...ENV, TICKDB_PURGE_AFTER_DAYS: '28', TICKDB_MINIMUM_RETENTION_DAYS: '0' },
    });
    expect(purge.code, purge.stderr).toBe(0);
    const r = exportCli([]);
    expect(r.code, r.stderr).toBe(0);
    const report = parseJson<Report>(r.stdout);
    // purgeAfterDays 28: the days aged 28 to 30 are gone, never exported.
    expect(report.counts).toEqual({ 'purged-unexported': 3, exported: 27 });
    expect(report.days.filter((d) => d.status === 'purged-unexported').map((d) => d.day)).toEqual([
      '2026-03-01',
      '2026-03-02',
      '2026-03-03',
    ]);
    // status names them (a WARNING for a week after the purge), with the counts as performance data.
    const status = runCli(['status', '--json', '--root', tree.root, '--now', NOW], {
      env: { ...ENV, TICKDB_EXPORT_DIR: lake() },
    });
    const checks = parseJson<{
      checks: { name: string; status: string; day?: string; message: string }[];
      perfdata: string;
    }>(status.stdout);
    const exportChecks = checks.checks.filter((c) => c.name === 'export');
    expect(exportChecks.map((c) => [c.status, c.day])).toEqual([
      ['WARNING', '2026-03-01'],
      ['WARNING', '2026-03-02'],
      ['WARNING', '2026-03-03'],
    ]);
    expect(checks.perfdata).toContain('exported_days=27');
    expect(checks.perfdata).toContain('purged_unexported_days=3');
  });

  it('the agent stopping: the export ends between days, and leaves the others for its next run', async () => {
    const config = configSchema.parse({ root: tree.root, compressionLevel: 3, export: { dir: lake() } });
    const stop = new AbortController();
    const report = await exportDays(
      { config, dirs: tierDirs(config), clock: offsetClock(new Date(NOW)) },
      {
        from: FROM,
        to: TO,
        datasets: config.datasets,
        onlyUnexported: true,
        signal: stop.signal,
        settings: {
          root: lake(),
          rowGroupRows: 131_072,
          compressionLevel: 3,
          threads: 1,
          threadsFromBytes: 33_554_432,
          force: false,
        },
        onDay: (done) => {
          if (done === 1) stop.abort(); // during the second day: it is finished, then the run ends
        },
      },
    );
    expect(report.counts).toEqual({ exported: 2, 'not-reached': 28 });
    expect(exportJob()).toMatchObject({ ok: true, counts: { exported: 2, 'not-reached': 28 } });
    expect(existsSync(partFile('2026-03-02'))).toBe(true);
    expect(existsSync(partFile('2026-03-03'))).toBe(false);
  });

  it("the agent's scheduled export sends every unexported day up to export.afterDays to the lake, once", async () => {
    const config = configSchema.parse({
      root: tree.root,
      compressionLevel: 3,
      compressAfterDays: 3,
      archiveAfterDays: 10,
      export: { dir: lake(), afterDays: 2 },
    });
    const dirs = tierDirs(config);
    const ops = new OpsPass({
      ctx: { config, dirs, clock: offsetClock(new Date(NOW)), logger: createLogger('silent') },
      config: () => config,
      signal: new AbortController().signal,
      writeMetrics: async () => undefined,
      enqueue: () => undefined,
    });
    await ops.exportLake('test slot');
    // afterDays 2: yesterday (2026-03-30) waits for the next night.
    const exported = Object.entries(metadataDays()).filter(([, d]) => d.parquet !== undefined);
    expect(exported.map(([k]) => k).sort()).toEqual(
      Array.from({ length: 29 }, (_, i) => `ticks/2026-03-${String(i + 1).padStart(2, '0')}`),
    );
    expect(existsSync(partFile('2026-03-30'))).toBe(false);
    expect(exportJob()).toMatchObject({ ok: true, counts: { exported: 29 }, lastSuccessAt: expect.any(String) });
    const metrics = renderMetrics(await collectMetrics({ config, dirs, now: new Date(NOW), agent: { up: true } }));
    expect(metrics).toContain('tickdb_export_last_run_ok 1');
    expect(metrics).toContain('tickdb_export_last_run_exported 29');
    expect(metrics).toContain('tickdb_export_last_run_failed 0');
    expect(metrics).toMatch(/^tickdb_export_last_success_timestamp_seconds \d+$/m);
    expect(metrics).toContain('tickdb_exported{dataset="ticks"} 29');
    const lines = auditLines().length;
    await ops.exportLake('test slot again');
    expect(auditLines()).toHaveLength(lines);
    expect(exportJob()).toMatchObject({ ok: true, counts: {} });
  });
});

describe('tickdb export: the layout inside a file', () => {
  it('orders rows by symbol then ts, in row groups whose statistics bound them, under {host}', async () => {
    const t = tempDir('tickdb-export-order-');
    try {
      const root = join(t.dir, 'root');
      const now = '2026-04-10T12:00:00Z';
      const day = '2026-04-09';
      const sim = runCli(['simulate', '--days', '1', '--rows', '3000', '--root', root, '--now', now], { env: ENV });
      expect(sim.code, sim.stderr).toBe(0);
      expect(runCli(['rotate', '--root', root, '--now', now], { env: ENV }).code).toBe(0);
      // The simulated day is written in time order, symbols interleaved: the table's own order is not the file's.
      const db = new Database(join(root, 'db', '2026', '04', `ticks_${day}.db`), { readonly: true });
      const tableOrder = db.prepare('SELECT symbol FROM ticks ORDER BY rowid LIMIT 2').pluck().all() as string[];
      db.close();
      expect(tableOrder[0]).not.toBe(tableOrder[1]);

      const lakeDir = join(t.dir, 'lake', '{host}');
      const r = runCli(['export', '--from', day, '--to', day, '--root', root, '--now', now], {
        env: { ...ENV, TICKDB_EXPORT_DIR: lakeDir, TICKDB_EXPORT_ROW_GROUP_ROWS: '1024' },
      });
      expect(r.code, r.stderr).toBe(0);
      const part = join(t.dir, 'lake', hostname(), 'dataset=ticks', `date=${day}`, 'part-0.parquet');
      expect(existsSync(part)).toBe(true);

      const rows = await duck<{ symbol: string; ts: string; n: bigint }>(
        `SELECT symbol, ts_ns::VARCHAR AS ts, file_row_number AS n
         FROM read_parquet('${part}', file_row_number = true) ORDER BY file_row_number`,
      );
      expect(rows).toHaveLength(3000);
      const key = (x: { symbol: string; ts: string }): [string, bigint] => [x.symbol, BigInt(x.ts)];
      for (let i = 1; i < rows.length; i++) {
        const [s0, t0] = key(rows[i - 1] as { symbol: string; ts: string });
        const [s1, t1] = key(rows[i] as { symbol: string; ts: string });
        expect(s0 < s1 || (s0 === s1 && t0 <= t1), `row ${i}: ${s0} ${t0} then ${s1} ${t1}`).toBe(true);
      }

      // Row groups of 1024 rows; each carries min/max statistics of symbol and ts_ns that bound its own rows.
      const groups = await duck<{ g: bigint; col: string; rows: bigint; lo: string | null; hi: string | null }>(
        `SELECT row_group_id AS g, path_in_schema AS col, row_group_num_rows AS rows,
                stats_min_value AS lo, stats_max_value AS hi
         FROM parquet_metadata('${part}') WHERE path_in_schema IN ('symbol', 'ts_ns') ORDER BY g, col`,
      );
      expect(groups.filter((g) => g.col === 'symbol').map((g) => Number(g.rows))).toEqual([1024, 1024, 952]);
      let first = 0;
      for (const g of groups.filter((x) => x.col === 'symbol')) {
        const mine = rows.slice(first, first + Number(g.rows));
        const ts = groups.find((x) => x.g === g.g && x.col === 'ts_ns');
        expect([g.lo, g.hi]).toEqual([mine[0]?.symbol, mine.at(-1)?.symbol]);
        const stamps = mine.map((m) => BigInt(m.ts)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect([ts?.lo, ts?.hi]).toEqual([String(stamps[0]), String(stamps.at(-1))]);
        first += Number(g.rows);
      }
    } finally {
      t.cleanup();
    }
  });
});
