/**
 * The `tickdb export` benchmark of issue 20, part of `npm run bench` (alone: `npm run bench -- --export-only`).
 *
 * One sealed day of about --export-mb MiB: `tickdb export --force` (read ordered by symbol and ts, Parquet with
 * ZSTD, DuckDB's verification, rename and record) against `sqlite3` reading the same rows in the same order to
 * /dev/null, measured in the same run. Targets (issue 20): at least 100 MB/s of SQLite input on 2 cores, peak RSS
 * under 1 GB on a 1 GiB day (run with --export-mb 1024 for that one). Best of --reps. With `--release`, the release
 * tree's export too, alternated with the checkout's (scripts/bench-release.ts).
 */
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { addDays } from '../src/layout/day.js';
import { best, fastest, ratio, settleDisk, type TickdbRuntime, timeCommand, timeTickdb } from './bench-cli.js';

const MiB = 1024 * 1024;
const TODAY = '2026-05-10';
const NOW = `${TODAY}T12:00:00Z`;
const DAY = addDays(TODAY, -1);

export interface BenchExportResult {
  dbBytes: number;
  rows: number;
  parquetBytes: number;
  exportMs: number;
  /** CPU time (user + system, every thread) of the run with the best wall time. */
  exportCpuMs: number;
  exportMaxRssMiB: number;
  sqlite3Ms: number;
  /** The same export by the release tree (`--release`), alternated with the others: best wall, its CPU and peak RSS. */
  release?: { label: string; exportMs: number; exportCpuMs: number; exportMaxRssMiB: number };
  /** 1-minute load average before the first and after the last rep: the machine's other work. */
  load: [number, number];
}

export async function benchExport(
  work: string,
  options: { mb: number; reps: number; release?: TickdbRuntime },
  log: (line: string) => void,
): Promise<BenchExportResult> {
  const root = join(work, 'export-root');
  const lake = join(work, 'export-lake');
  const rows = Math.round((options.mb * MiB) / 78.6);
  log(`export: generating ${rows} ticks for ${DAY} ...`);
  const sim = timeTickdb(['simulate', '--days', '1', '--rows', String(rows), '--root', root, '--now', NOW], {}, work);
  if (sim.code !== 0) throw new Error(`simulate failed: ${sim.stderr}`);
  const rot = timeTickdb(['rotate', '--root', root, '--now', NOW, '--log-level', 'warn'], {}, work);
  if (rot.code !== 0) throw new Error(`rotate failed: ${rot.stderr}`);
  const db = join(root, 'db', DAY.slice(0, 4), DAY.slice(5, 7), `ticks_${DAY}.db`);
  const dbBytes = statSync(db).size;
  const exportMs: number[] = [];
  const exportCpuMs: number[] = [];
  const sqlite3Ms: number[] = [];
  const loadBefore = loadavg()[0] ?? 0;
  let maxRss = 0;
  const rel: { ms: number; cpuMs: number; rss: number }[] = [];
  for (let i = 0; i < options.reps; i++) {
    settleDisk();
    const sql = 'SELECT * FROM ticks ORDER BY symbol, ts, rowid';
    sqlite3Ms.push(timeCommand('sh', ['-c', `sqlite3 -readonly '${db}' '${sql}' > /dev/null`]));
    settleDisk();
    const args = ['export', '--from', DAY, '--to', DAY, '--dir', lake, '--root', root, '--now', NOW, '--force'];
    const r = timeTickdb([...args, '--log-level', 'warn'], {}, work);
    if (r.code !== 0) throw new Error(`export failed: ${r.stderr}${r.stdout}`);
    exportMs.push(r.ms);
    exportCpuMs.push(r.cpuMs);
    maxRss = Math.max(maxRss, r.maxRssMiB);
    log(
      `export: rep ${i + 1}: tickdb export ${Math.round(r.ms)} ms (CPU ${Math.round(r.cpuMs)} ms), sqlite3 ${Math.round(sqlite3Ms[i] ?? 0)} ms, load ${loadavg()[0]?.toFixed(1)}`,
    );
    if (options.release !== undefined) {
      settleDisk();
      const x = timeTickdb([...args, '--log-level', 'warn'], {}, work, [], options.release);
      if (x.code !== 0) throw new Error(`export (${options.release.label}) failed: ${x.stderr}${x.stdout}`);
      rel.push({ ms: x.ms, cpuMs: x.cpuMs, rss: x.maxRssMiB });
      log(`export: rep ${i + 1}, ${options.release.label}: ${Math.round(x.ms)} ms (CPU ${Math.round(x.cpuMs)} ms)`);
    }
  }
  const parquet = join(lake, 'dataset=ticks', `date=${DAY}`, 'part-0.parquet');
  return {
    dbBytes,
    rows,
    parquetBytes: statSync(parquet).size,
    exportMs: best(exportMs),
    exportCpuMs: exportCpuMs[exportMs.indexOf(best(exportMs))] ?? 0,
    exportMaxRssMiB: maxRss,
    sqlite3Ms: best(sqlite3Ms),
    release: releaseFigures(options.release, rel),
    load: [loadBefore, loadavg()[0] ?? 0],
  };
}

function releaseFigures(
  runtime: TickdbRuntime | undefined,
  runs: { ms: number; cpuMs: number; rss: number }[],
): BenchExportResult['release'] {
  if (runtime === undefined || runs.length === 0) return undefined;
  const top = fastest(runs);
  const peak = Math.max(...runs.map((r) => r.rss));
  return { label: runtime.label, exportMs: top.ms, exportCpuMs: top.cpuMs, exportMaxRssMiB: peak };
}

export function formatBenchExport(r: BenchExportResult): string {
  const mbps = (bytes: number, ms: number): string => `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
  const mb = r.dbBytes / 1e6;
  const rate = mb / (r.exportMs / 1000);
  const oneGiB = r.dbBytes >= 1000 * MiB;
  return [
    `export of one sealed day: ${(r.dbBytes / MiB).toFixed(1)} MiB, ${r.rows} rows -> ${(r.parquetBytes / MiB).toFixed(1)} MiB of Parquet (load ${r.load[0].toFixed(1)} -> ${r.load[1].toFixed(1)})`,
    `  tickdb export (read, write, verify, record)  ${Math.round(r.exportMs)} ms  ${mbps(r.dbBytes, r.exportMs)}  CPU ${(r.exportCpuMs / 1000).toFixed(1)} s (${(mb / (r.exportCpuMs / 1000)).toFixed(1)} MB per CPU-second)  peak RSS ${Math.round(r.exportMaxRssMiB)} MiB`,
    `  sqlite3, same rows in the same order          ${Math.round(r.sqlite3Ms)} ms  ${mbps(r.dbBytes, r.sqlite3Ms)}`,
    `  ratio ${ratio(r.exportMs, r.sqlite3Ms)}`,
    ...(r.release === undefined
      ? []
      : [
          `  ${r.release.label} (what the .deb and the tarball run): ${Math.round(r.release.exportMs)} ms  ${mbps(r.dbBytes, r.release.exportMs)}  CPU ${(r.release.exportCpuMs / 1000).toFixed(1)} s  peak RSS ${Math.round(r.release.exportMaxRssMiB)} MiB  (>= 100 MB/s: ${mb / (r.release.exportMs / 1000) >= 100 ? 'met' : 'NOT met'})`,
        ]),
    `  target: >= 100 MB/s of SQLite input on 2 cores: ${rate.toFixed(1)} MB/s, ${rate >= 100 ? 'met' : 'NOT met'}`,
    `  target: peak RSS < 1 GB on a 1 GiB day: ${
      oneGiB
        ? `${Math.round(r.exportMaxRssMiB)} MiB, ${r.exportMaxRssMiB * MiB < 1e9 ? 'met' : 'NOT met'}`
        : `not measured (this day is ${(r.dbBytes / MiB).toFixed(0)} MiB: run --export-only --export-mb 1024)`
    }`,
  ].join('\n');
}
