import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAudit } from '../../src/store/audit.js';
import { BIN, cleanEnv, REPO, type CliResult } from './cli.js';
import { rowsDigest, zstdDecompress } from './tree.js';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';

/** Mulberry32, seeded, so that a failing random schedule can be replayed from its seed. */
export { mulberry32 as prng } from '../../src/prng.js';

/** The seed of a randomized test: `TICKDB_TEST_SEED` replays a run, otherwise a fresh one (printed by the caller). */
export function testSeed(): number {
  const fixed = process.env.TICKDB_TEST_SEED;
  if (fixed !== undefined && fixed !== '') {
    const n = Number(fixed);
    if (!Number.isInteger(n)) throw new Error(`TICKDB_TEST_SEED=${fixed} is not an integer`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

export interface TimedResult extends CliResult {
  ms: number;
  /** When `watch` appeared, in ms after the spawn (undefined if it never did while the process ran). */
  watchedAtMs: number | undefined;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** A path to watch for (polled every 2 ms): its appearance is timed, and starts the kill timer if there is one. */
  watch?: string;
  /** SIGKILL the process this many ms after `watch` appeared (after the spawn without `watch`), if still running. */
  killAfterMs?: number;
  /** Called at the moment of the kill, before the signal is sent (to look at the tree as the kill found it). */
  beforeKill?: () => void;
  /** SIGKILL the process as soon as its stderr so far satisfies this (e.g. a step's start was logged). */
  killWhenStderr?: (stderr: string) => boolean;
}

/** Runs the compiled CLI without blocking the event loop (so several can run at once), optionally killing it. */
export function runCliAsync(args: string[], options: SpawnOptions = {}): Promise<TimedResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null && !child.killed) {
      options.beforeKill?.();
      child.kill('SIGKILL');
    }
  };
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (options.killWhenStderr?.(stderr) === true) kill();
  });
  let killTimer: NodeJS.Timeout | undefined;
  let poller: NodeJS.Timeout | undefined;
  let watchedAtMs: number | undefined;
  const armKill = (): void => {
    if (options.killAfterMs === undefined) return;
    killTimer = setTimeout(kill, options.killAfterMs);
  };
  if (options.watch === undefined) armKill();
  else {
    const watched = options.watch;
    poller = setInterval(() => {
      if (!existsSync(watched)) return;
      clearInterval(poller);
      watchedAtMs = performance.now() - started;
      armKill();
    }, 2);
  }
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(killTimer);
      clearInterval(poller);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started, watchedAtMs });
    });
  });
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs `tasks` with at most `limit` of them at once and waits for all of them, failed or not (a failure must not
 * leave others running while the test cleans up); results in input order.
 */
export async function pool<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<Settled<T>[]> {
  const out: Settled<T>[] = new Array<Settled<T>>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      const task = tasks[i];
      if (task === undefined) continue;
      try {
        out[i] = { ok: true, value: await task() };
      } catch (error) {
        out[i] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

/** Throws one error listing every failed task (with its message), after all of them ran. */
export function expectAllOk<T>(results: Settled<T>[], what: (i: number) => string): T[] {
  const failed = results.flatMap((r, i) =>
    r.ok ? [] : [`${what(i)}: ${r.error instanceof Error ? r.error.message : String(r.error)}`],
  );
  if (failed.length > 0) throw new Error(`${failed.length} of ${results.length} failed:\n${failed.join('\n\n')}`);
  return results.map((r) => (r.ok ? r.value : (undefined as T)));
}

export function copyTree(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true, preserveTimestamps: true });
}

/** Every file under `dir`, as paths relative to it. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

export function tmpFiles(root: string): string[] {
  return listFiles(root).filter((f) => /\.tmp(-wal|-shm|-journal)?$/.test(f));
}

export interface DayRecordLite {
  state: string;
  sha256?: string;
  zstSha256?: string;
  rows?: number;
  pendingDelete?: string;
  quarantine?: { reason: string; path?: string };
  backupSha256?: string;
}

export interface MetadataLite {
  days: Record<string, DayRecordLite>;
  jobs: Record<string, { ok: boolean; errors: string[]; counts: Record<string, number> }>;
  audit: { lastHash: string; count: number };
}

/** The metadata document; an empty one when there is none yet (a crash before the first write). */
export function readMeta(root: string): MetadataLite {
  const path = join(root, 'db', 'rotation_metadata.json');
  if (!existsSync(path)) return { days: {}, jobs: {}, audit: { lastHash: '0'.repeat(64), count: 0 } };
  return JSON.parse(readFileSync(path, 'utf8')) as MetadataLite;
}

export interface DayView {
  /** Where the day's one copy is: `db` (.db), `zst` (db/.db.zst), `archive`, or `none`. */
  where: string;
  backup: boolean;
  rows: number;
  digest: string;
}

const rowsCache = new Map<string, { rows: number; digest: string }>();

function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

const DAY_FILE = /^(?:db|archive|backup)\/\d{4}\/\d{2}\/([A-Za-z0-9.-]+)_(\d{4}-\d{2}-\d{2})\.db(\.zst)?$/;

/**
 * What a tree holds, day by day, read by the independent tools: where each day is, whether it has a backup, and
 * the digest of its rows (sqlite3 CLI; `.zst` files decompressed by the zstd CLI first). A backup's rows must
 * equal the day's own. `scratch` is a folder for decompressed copies. The rows of each distinct file content
 * (by SHA-256) are read once per test file: a byte-identical file has the same rows.
 */
export function dayViews(root: string, scratch: string): Map<string, DayView> {
  mkdirSync(scratch, { recursive: true });
  const views = new Map<string, DayView>();
  const places = new Map<string, string[]>();
  for (const rel of listFiles(root)) {
    const m = DAY_FILE.exec(rel);
    if (m === null) continue;
    const key = `${m[1] ?? ''}/${m[2] ?? ''}`;
    const tier = rel.split('/')[0] ?? '';
    const where = tier === 'backup' ? 'backup' : tier === 'archive' ? 'archive' : m[3] === undefined ? 'db' : 'zst';
    places.set(key, [...(places.get(key) ?? []), `${where}:${rel}`]);
  }
  for (const [key, list] of places) {
    const primaries = list.filter((p) => !p.startsWith('backup:'));
    const backup = list.find((p) => p.startsWith('backup:'));
    if (primaries.length > 1) throw new Error(`${key} is present ${primaries.length} times: ${primaries.join(', ')}`);
    const primary = primaries[0];
    let rows = 0;
    let digest = '';
    const readRows = (entry: string): { rows: number; digest: string } => {
      const [where, rel] = entry.split(/:(.*)/s) as [string, string];
      const path = join(root, rel);
      // Files byte-identical to one already read have the same rows: each distinct content is read once.
      const cacheKey = existsSync(`${path}-wal`)
        ? undefined
        : `${where === 'zst' || where === 'archive' ? 'zst' : 'db'}:${fileSha256(path)}`;
      const cached = cacheKey === undefined ? undefined : rowsCache.get(cacheKey);
      if (cached !== undefined) return cached;
      const out = join(scratch, `${key.replace('/', '_')}.db`);
      // Read a copy: sqlite3 leaves -wal/-shm files beside a WAL database it opens, even read-only.
      if (where === 'zst' || where === 'archive') zstdDecompress(path, out);
      else {
        copyFileSync(path, out);
        if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${out}-wal`);
      }
      try {
        const digest = rowsDigest(out);
        if (cacheKey !== undefined) rowsCache.set(cacheKey, digest);
        return digest;
      } finally {
        for (const f of [out, `${out}-wal`, `${out}-shm`]) rmSync(f, { force: true });
      }
    };
    if (primary !== undefined) ({ rows, digest } = readRows(primary));
    if (backup !== undefined) {
      const b = readRows(backup);
      if (primary !== undefined && (b.rows !== rows || b.digest !== digest))
        throw new Error(`${key}: the backup's rows differ from the day's`);
      if (primary === undefined) ({ rows, digest } = b);
    }
    views.set(key, {
      where: primary === undefined ? 'none' : (primary.split(':')[0] ?? ''),
      backup: backup !== undefined,
      rows,
      digest,
    });
  }
  return views;
}

/** The audit chain is whole and its end is the checkpoint recorded in the metadata. */
export async function auditProblems(root: string): Promise<string[]> {
  const meta = readMeta(root);
  const dirs = {
    root,
    db: join(root, 'db'),
    backup: join(root, 'backup'),
    archive: join(root, 'archive'),
    metricsFile: join(root, 'metrics', 'tickdb.prom'),
  };
  const v = await verifyAudit(dirs, meta.audit);
  const problems = v.problems.map((p) => `audit line ${p.line}: ${p.problem}`);
  if (v.beyondCheckpoint !== 0) problems.push(`audit has ${v.beyondCheckpoint} line(s) beyond the metadata checkpoint`);
  return problems;
}

/** Each day's metadata state agrees with where its file is, and no move is left pending. */
export function metadataProblems(root: string, views: Map<string, DayView>): string[] {
  const meta = readMeta(root);
  const problems: string[] = [];
  const expected: Record<string, string[]> = {
    db: ['live', 'sealed'],
    zst: ['compressed'],
    archive: ['archived'],
    none: ['purged'],
  };
  for (const [key, view] of views) {
    const rec = meta.days[key];
    if (rec === undefined) {
      problems.push(`${key}: no metadata record`);
      continue;
    }
    if (!(expected[view.where] ?? []).includes(rec.state))
      problems.push(`${key}: state ${rec.state} but the file is in ${view.where}`);
    if (rec.pendingDelete !== undefined) problems.push(`${key}: pendingDelete ${rec.pendingDelete} left`);
    if (rec.rows !== undefined && rec.rows !== view.rows)
      problems.push(`${key}: metadata says ${rec.rows} rows, the file has ${view.rows}`);
  }
  return problems;
}
