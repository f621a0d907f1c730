/**
 * Step 3 of `npm run bench`: verified `tickdb decompress` of the sealed day's `.zst` against `zstd -d` (target <=
 * 0.8x), both made durable (`--sync` against `zstd -d` + `sync`), and the waits of one writer inserting into a
 * database of its own meanwhile (targets: p99 < 50 ms, max no worse than the writer alone).
 *
 * The writer runs through the whole step and counts its inserts per phase (`phase NAME` on its stdin), so that each
 * wait is charged to what ran then and nothing else:
 * - `tickdb`: one `tickdb decompress`, then `sync OUT`: the writeback of its 214 MB output is its doing even when it
 *   happens later (the kernel writes dirty pages back within 30 s), so it is counted here, and only that file is
 *   synced (a global `sync` also writes back the writer's own WAL and `-shm` pages, and stalls it by itself);
 * - `alone`: nothing of ours, for exactly as long as the `tickdb` phase just before: the control, interleaved with
 *   it, of equal total length (the longest wait of a longer window is larger by chance);
 * - `zstd`: `zstd -d` then `sync OUT`, the same work done by the CLI (no target: it shows what the host does to the
 *   writer while anything writes 214 MB);
 * - `tickdb --sync` and `zstd -d + sync`: the durable runs (reported, no target);
 * - `between`: the removal of the last output and a global `sync` before each run, so that no run pays for the last
 *   one's writeback; counted in no phase that is compared.
 * Until 2026-11-29 the writer's whole run was compared with a control taken afterwards: its window held the four
 * commands of every repetition, the `zstd -d` runs, the durable runs and four global `sync`s, all charged to tickdb.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  BIN,
  best,
  maxSpread,
  median,
  phaseOf,
  ratio,
  settleDisk,
  startWriter,
  timeCommandCpu,
  type WriterStats,
} from './bench-cli.js';

export type PhaseStats = WriterStats & { seconds: number };

export interface DecompressFigures {
  tickdbMs: number;
  zstdMs: number;
  /** Medians of the alternated runs, wall and CPU (user + system, every thread). */
  tickdbMedianMs: number;
  zstdMedianMs: number;
  tickdbCpuMs: number;
  zstdCpuMs: number;
  runs: number;
  tickdbSyncMs: number;
  zstdSyncMs: number;
  /** The writer's waits per phase (see the top of this file). */
  writer: PhaseStats;
  writerAlone: PhaseStats;
  /** A second control, as long, right after the first: how far apart two maxima of the writer alone fall (A/A). */
  writerAloneAgain: PhaseStats;
  writerZstd: PhaseStats;
  /** `tickdb decompress --sync`, and `zstd -d` + `sync` of the file and its folder (no targets). */
  writerTickdbSync: PhaseStats;
  writerZstdSync: PhaseStats;
  /** The writer's whole run: inserts done, and those its rate asked for (fewer: it was starved of CPU). */
  writerInserts: number;
  writerExpected: number;
}

export interface DecompressOptions {
  work: string;
  /** The tree holding the compressed day, and the day. */
  root: string;
  day: string;
  zst: string;
  reps: number;
  writerRate: number;
  /** A command prefix for every tickdb run (SERVICE_PRIORITY with --service-priority); none: its own nice 10. */
  prefix: string[];
}

export async function benchDecompress(o: DecompressOptions): Promise<DecompressFigures> {
  const ours = join(o.work, 'investigation.db');
  const theirs = join(o.work, 'zstd-d.db');
  const runs = { tickdb: [] as number[], zstd: [] as number[], tickdbSync: [] as number[], zstdSync: [] as number[] };
  const cpu = { tickdb: [] as number[], zstd: [] as number[] };
  const tickdb = o.prefix[0] ?? process.execPath;
  const tickdbArgs = (out: string, ...more: string[]): string[] => [
    ...(o.prefix.length > 0 ? [...o.prefix.slice(1), process.execPath] : []),
    BIN,
    'decompress',
    o.day,
    '--root',
    o.root,
    '-o',
    out,
    ...more,
    '--log-level',
    'warn',
  ];
  settleDisk();
  const writer = await startWriter(join(o.work, 'writer-decompression.db'), o.writerRate);
  const between = async (out: string): Promise<void> => {
    await writer.phase('between');
    rmSync(out, { force: true });
    settleDisk();
  };
  /** Runs one command in writer phase `phase`, then the writeback of its output; returns both durations. */
  const measured = async (
    phase: string,
    out: string,
    cmd: string,
    args: string[],
  ): Promise<{ ms: number; cpuMs: number; phaseMs: number }> => {
    await between(out);
    await writer.phase(phase);
    const t0 = performance.now();
    const t = timeCommandCpu(cmd, args);
    spawnSync('sync', [out]);
    return { ...t, phaseMs: performance.now() - t0 };
  };
  for (let i = 0; i < o.reps; i++) {
    const t = await measured('tickdb', ours, tickdb, tickdbArgs(ours));
    runs.tickdb.push(t.ms);
    cpu.tickdb.push(t.cpuMs);
    await between(ours);
    await writer.controls(t.phaseMs);
    const z = await measured('zstd', theirs, 'zstd', ['-d', '-q', '-f', o.zst, '-o', theirs]);
    runs.zstd.push(z.ms);
    cpu.zstd.push(z.cpuMs);
    runs.tickdbSync.push((await measured('tickdb --sync', ours, tickdb, tickdbArgs(ours, '--sync'))).ms);
    runs.zstdSync.push(
      (
        await measured('zstd -d + sync', theirs, 'sh', [
          '-c',
          'zstd -d -q -f "$0" -o "$1" && sync "$1" "$(dirname "$1")"',
          o.zst,
          theirs,
        ])
      ).ms,
    );
  }
  await writer.phase('between');
  const all = await writer.stop();
  const phase = (name: string): PhaseStats => phaseOf(all, name);
  return {
    tickdbMs: best(runs.tickdb),
    zstdMs: best(runs.zstd),
    tickdbMedianMs: median(runs.tickdb),
    zstdMedianMs: median(runs.zstd),
    tickdbCpuMs: median(cpu.tickdb),
    zstdCpuMs: median(cpu.zstd),
    runs: o.reps,
    tickdbSyncMs: best(runs.tickdbSync),
    zstdSyncMs: best(runs.zstdSync),
    writer: phase('tickdb'),
    writerAlone: phase('alone'),
    writerAloneAgain: phase('alone again'),
    writerZstd: phase('zstd'),
    writerTickdbSync: phase('tickdb --sync'),
    writerZstdSync: phase('zstd -d + sync'),
    writerInserts: all.inserts,
    writerExpected: all.expected ?? 0,
  };
}

const check = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
const waits = (w: PhaseStats): string =>
  `${w.inserts} inserts in ${w.seconds.toFixed(1)} s, ${w.failures} failed, p99 ${w.p99Ms.toFixed(1)} ms, max ${w.maxMs.toFixed(1)} ms, ${w.over50Ms} over 50 ms`;

export function formatDecompress(d: DecompressFigures, rate: number): string[] {
  return [
    `decompression (tickdb: hash check included; a new output file each run; ${d.runs} alternated runs)`,
    `  tickdb decompress                  best ${d.tickdbMs.toFixed(0)} ms, median ${d.tickdbMedianMs.toFixed(0)} ms, CPU ${d.tickdbCpuMs.toFixed(0)} ms (median)`,
    `  zstd -d                            best ${d.zstdMs.toFixed(0)} ms, median ${d.zstdMedianMs.toFixed(0)} ms, CPU ${d.zstdCpuMs.toFixed(0)} ms (median)`,
    `  ratio                              ${ratio(d.tickdbMs, d.zstdMs)}x best, ${ratio(d.tickdbMedianMs, d.zstdMedianMs)}x median, CPU ${ratio(d.tickdbCpuMs, d.zstdCpuMs)}x  (target <= 0.8x: ${check(d.tickdbMs <= 0.8 * d.zstdMs)})`,
    `  tickdb decompress --sync           ${d.tickdbSyncMs.toFixed(0)} ms`,
    `  zstd -d, then sync file and folder ${d.zstdSyncMs.toFixed(0)} ms`,
    `  ratio, both durable                ${ratio(d.tickdbSyncMs, d.zstdSyncMs)}x`,
    `  one writer at ${rate}/s through the step, waits per phase: ${d.writerInserts} of the ${d.writerExpected} inserts its rate asked for`,
    `    tickdb decompress + sync OUT     ${waits(d.writer)} (target p99 < 50 ms: ${check(d.writer.p99Ms < 50)}; max <= alone: ${check(d.writer.maxMs <= d.writerAlone.maxMs)})`,
    `    alone, as long, interleaved      ${waits(d.writerAlone)}`,
    `    alone again, as long (A/A)       ${waits(d.writerAloneAgain)}`,
    `    ${maxSpread(d.writer, d.writerAlone, d.writerAloneAgain)}`,
    `    zstd -d + sync OUT (reference)   ${waits(d.writerZstd)}`,
    `    tickdb decompress --sync (ref.)  ${waits(d.writerTickdbSync)}`,
    `    zstd -d + sync (reference)       ${waits(d.writerZstdSync)}`,
  ];
}
