/**
 * Helpers for benchmarks that measure the real `tickdb` CLI as an operator runs it: wall time, peak RSS (through a
 * preload that reports `process.resourceUsage().maxRSS` at exit), and the waits of a concurrent writer.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
export const BIN = join(REPO, 'bin', 'tickdb.js');

/**
 * Which tickdb a step runs: this checkout on the Node that runs the benchmark, or a release tree on the runtime it
 * carries (scripts/bench-release.ts, `--release`), which is what the .deb and the tarball install.
 */
export interface TickdbRuntime {
  label: string;
  node: string;
  bin: string;
}

export const CHECKOUT: TickdbRuntime = {
  label: `checkout, Node ${process.versions.node}`,
  node: process.execPath,
  bin: BIN,
};
const WRITER = join(REPO, 'dist', 'scripts', 'tick-writer.js');

export interface CliRun {
  ms: number;
  maxRssMiB: number;
  /** User + system CPU time of the whole process, every thread included (0 when it died before its exit hook). */
  cpuMs: number;
  /** Resident memory sampled every 500 ms while it ran (MiB), oldest first: flat or creeping (see `rssFlat`). */
  rssSamplesMiB: number[];
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The agent's priority under its service unit (src/service/systemd-unit.ts: `CPUSchedulingPolicy=idle`,
 * `IOSchedulingClass=best-effort`, `IOSchedulingPriority=7`; `Nice=10` tickdb sets itself), as a command prefix.
 */
export const SERVICE_PRIORITY = ['chrt', '--idle', '0', 'ionice', '-c', '2', '-n', '7'];

/**
 * Runs `tickdb ARGS` and measures its wall time, CPU time and resident memory: the peak, and samples every 500 ms
 * taken by the preload (a compression's main thread is idle while the frame workers run, so they come on time).
 * `prefix` (such as SERVICE_PRIORITY) runs it under another command; `runtime`, another tickdb.
 */
export function timeTickdb(
  args: string[],
  env: Record<string, string> = {},
  workDir: string,
  prefix: string[] = [],
  runtime: TickdbRuntime = CHECKOUT,
): CliRun {
  const rssFile = join(workDir, `rss-${process.pid}-${Date.now()}.txt`);
  const preload = `data:text/javascript,import fs from "node:fs";const s=[];setInterval(()=>s.push(process.memoryUsage.rss()),500).unref();process.on("exit",()=>{const u=process.resourceUsage();fs.writeFileSync(${JSON.stringify(rssFile)},u.maxRSS+" "+(u.userCPUTime+u.systemCPUTime)+" "+s.join(","))})`;
  const t0 = performance.now();
  const argv = [...prefix, runtime.node, '--import', preload, runtime.bin, ...args];
  const r = spawnSync(argv[0] ?? runtime.node, argv.slice(1), {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1 << 28,
  });
  const ms = performance.now() - t0;
  let maxRssMiB = 0;
  let cpuMs = 0;
  let rssSamplesMiB: number[] = [];
  try {
    const [rss = '0', cpu = '0', samples = ''] = readFileSync(rssFile, 'utf8').split(' ');
    maxRssMiB = Number(rss) / 1024;
    cpuMs = Number(cpu) / 1000;
    rssSamplesMiB = samples === '' ? [] : samples.split(',').map((b) => Number(b) / MiB);
    rmSync(rssFile);
  } catch {
    // the process died before its exit hook
  }
  return { ms, maxRssMiB, cpuMs, rssSamplesMiB, code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const MiB = 1024 * 1024;

/** Runs a command, returns its wall time in ms; throws when it fails. */
export function timeCommand(cmd: string, args: string[]): number {
  return timeCommandCpu(cmd, args).ms;
}

/** Runs a command, returns its wall time and CPU time (user + system, its threads included, `childCpuMs`) in ms. */
export function timeCommandCpu(cmd: string, args: string[]): { ms: number; cpuMs: number } {
  const cpu0 = childCpuMs() ?? Number.NaN;
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return { ms, cpuMs: (childCpuMs() ?? Number.NaN) - cpu0 };
}

/**
 * Whether resident memory stayed flat: the highest sample of the second half of a run is within 5% of the highest of
 * its first half (the first second left out: the workers and their contexts being set up). Undefined with fewer
 * than 6 samples left (a run of under 4 s says nothing about creeping).
 */
export function rssFlat(
  samplesMiB: number[],
): { firstHalfMiB: number; secondHalfMiB: number; flat: boolean } | undefined {
  const s = samplesMiB.slice(2);
  if (s.length < 6) return undefined;
  const half = Math.floor(s.length / 2);
  const firstHalfMiB = Math.max(...s.slice(0, half));
  const secondHalfMiB = Math.max(...s.slice(half));
  return { firstHalfMiB, secondHalfMiB, flat: secondHalfMiB <= firstHalfMiB * 1.05 };
}

export interface WriterStats {
  inserts: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Inserts that waited more than 50 ms. */
  over50Ms: number;
  /** The writer's whole run: its seconds, and the inserts its rate asked for in them (fewer done: CPU-starved). */
  seconds?: number;
  expected?: number;
  /** The same statistics per phase (`phase()`), each with its seconds. */
  phases?: Record<string, WriterStats & { seconds: number }>;
}

export interface RunningWriter {
  /** Counts the inserts from now on towards phase `name` (alternated phases compare within one run). */
  phase: (name: string) => Promise<void>;
  /**
   * Nothing of ours for `ms`, twice: phase `alone` (the control of what ran just before, as long) then `alone again`
   * (its A/A twin, see maxSpread).
   */
  controls: (ms: number) => Promise<void>;
  stop: () => Promise<WriterStats>;
}

/** One phase's statistics from a stopped writer; throws when the writer did not report it. */
export function phaseOf(stats: WriterStats, name: string): WriterStats & { seconds: number } {
  const p = stats.phases?.[name];
  if (p === undefined) throw new Error(`the writer reported no phase ${name}`);
  return p;
}

/**
 * Starts the stand-in writer on `db` at `rate` inserts a second (`extra`: more of scripts/tick-writer.ts's options);
 * `stop()` returns the latency of its inserts.
 */
export async function startWriter(db: string, rate: number, extra: string[] = []): Promise<RunningWriter> {
  const child = spawn(process.execPath, [WRITER, '--db', db, '--rate', String(rate), ...extra], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const start = Date.now();
  while (!err.includes('ready')) {
    if (Date.now() - start > 20_000 || child.exitCode !== null) throw new Error(`writer did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  let phases = 0;
  const phase = async (name: string): Promise<void> => {
    phases++;
    child.stdin.write(`phase ${name}\n`);
    // Acknowledged once stderr holds as many `phase` lines as were asked for (names repeat).
    const start = Date.now();
    while ((err.match(/^phase /gm) ?? []).length < phases) {
      if (Date.now() - start > 20_000 || child.exitCode !== null) throw new Error(`writer: no phase ${name}: ${err}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return {
    phase,
    controls: async (ms) => {
      await phase('alone');
      await new Promise((r) => setTimeout(r, ms));
      await phase('alone again');
      await new Promise((r) => setTimeout(r, ms));
    },
    stop: async () => {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.stdin.write('stop\n');
      await exited;
      return JSON.parse(out.trim().split('\n').pop() ?? '{}') as WriterStats;
    },
  };
}

/**
 * The same writer for `ms` with nothing of ours running: the control for the waits above. A host's disk can stall an
 * fsync by itself (a virtual disk here: 200-340 ms now and then), and only the difference is tickdb's doing.
 */
export async function writerAlone(db: string, ms: number, rate: number): Promise<WriterStats> {
  const writer = await startWriter(db, rate);
  await new Promise((r) => setTimeout(r, ms));
  return writer.stop();
}

/**
 * Keeps `count` processes spinning for `ms` at `prefix`'s priority: a shell loop of the builtin `:` (no system call,
 * no disk, next to no memory). The writer's waits beside them are the platform's share of a CPU-bound neighbour
 * (docs/performance.md, "Eighth session", where a C loop of the same kind was studied). Throws when a loop could not
 * start or ended before it was stopped (then nothing was measured); the loops are killed however this ends.
 */
export async function spin(count: number, ms: number, prefix: string[]): Promise<void> {
  const argv = [...prefix, 'sh', '-c', 'while :; do :; done'];
  const loops = Array.from({ length: count }, () => {
    const child = spawn(argv[0] ?? 'sh', argv.slice(1), { stdio: 'ignore' });
    const ended = new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', () => resolve());
    });
    return { child, ended };
  });
  try {
    await Promise.race([
      new Promise((r) => setTimeout(r, ms)),
      ...loops.map(({ ended }) => ended.then(() => Promise.reject(new Error(`${argv.join(' ')} ended early`)))),
    ]);
  } finally {
    for (const { child } of loops) child.kill('SIGKILL');
    await Promise.allSettled(loops.map(({ ended }) => ended));
  }
}

/** Flushes every dirty page of the host, so that one measured step does not pay for the writeback of the last. */
export function settleDisk(): void {
  spawnSync('sync');
}

/**
 * CPU time (user + system, ms) of this process's finished children so far, from /proc (10 ms ticks): the difference
 * across one spawnSync is that command's CPU, its own children included. Undefined where /proc is missing.
 */
export function childCpuMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ');
    // After the command name: state is field 3; cutime and cstime are fields 16 and 17.
    const ticks = Number(fields?.[13]) + Number(fields?.[14]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function best(values: number[]): number {
  return Math.min(...values);
}

/** The run with the best (lowest) wall time, its other figures with it (CPU, peak RSS of that same run). */
export function fastest<T extends { ms: number }>(runs: readonly T[]): T {
  return runs.reduce((a, b) => (a.ms <= b.ms ? a : b));
}

export function ratio(a: number, b: number): string {
  return b === 0 ? 'n/a' : (a / b).toFixed(2);
}

/**
 * The longest waits of a writer beside tickdb and alone, against the spread of the host itself: two controls of the
 * same length, one after the other (an A/A comparison). A longest wait is one sample, so two windows of the writer
 * alone already differ; a difference from the control smaller than that spread is not tickdb's. Printed beside the
 * target's literal check (max <= the first control's), never instead of it.
 */
export function maxSpread(meanwhile: WriterStats, alone: WriterStats, aloneAgain: WriterStats): string {
  const over = meanwhile.maxMs - alone.maxMs;
  const spread = Math.abs(aloneAgain.maxMs - alone.maxMs);
  const sign = over >= 0 ? '+' : '-';
  return `longest wait beside tickdb ${sign}${Math.abs(over).toFixed(1)} ms vs the control; the two controls differ by ${spread.toFixed(1)} ms (${over <= spread ? 'within' : 'beyond'} the host's own spread)`;
}
