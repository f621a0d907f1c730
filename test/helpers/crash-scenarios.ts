import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from './cli.js';
import {
  auditProblems,
  copyTree,
  dayViews,
  metadataProblems,
  runCliAsync,
  tmpFiles,
  type DayView,
  type TimedResult,
} from './faults.js';

/**
 * Small trees whose one `run --once` does every kind of step, for crash tests. Thresholds are shrunk (compress at
 * 2 days, archive at 4, purge at 6, backups kept 3) so that 7 days cover the whole chain.
 */
export const POLICY = { compressAfterDays: 2, archiveAfterDays: 4, purgeAfterDays: 6, backupRetentionDays: 3 };
export const NOW0 = '2026-03-14T12:00:00Z';
/** Two days later: the run that archives, purges and purges backups. */
export const NOW1 = '2026-03-16T12:00:00Z';
export const FAST_ENV = { TICKDB_COMPRESSION_LEVEL: '1' };

export interface Scenario {
  name: string;
  /** A tree as it is before the run under test (never changed: each case works on a copy). */
  tree: string;
  config: string;
  now: string;
  env: Record<string, string>;
  /** Each day's rows as simulated, read before any run (the truth every later state must match). */
  before: Map<string, DayView>;
  /** What an uninterrupted run leaves. */
  expected: Map<string, DayView>;
  /** How long the uninterrupted run took (ms), and how long it held the tree lock (its work, startup left out). */
  runMs: number;
  lockedMs: number;
}

export function lockFile(root: string): string {
  return join(root, 'db', 'tickdb.lock');
}

/** `run --once` of scenario `s` on the tree at `root`. */
export function runArgs(s: Pick<Scenario, 'config' | 'now'>, root: string): string[] {
  return ['run', '--once', '--root', root, '--config', s.config, '--now', s.now];
}

function simulate(root: string, days: number, rows: number, now: string): void {
  const r = runCli(['simulate', '--days', String(days), '--rows', String(rows), '--root', root, '--now', now]);
  if (r.code !== 0) throw new Error(`simulate failed: ${r.stderr}`);
}

async function finish(s: Omit<Scenario, 'expected' | 'runMs' | 'lockedMs'>, work: string): Promise<Scenario> {
  const ref = join(work, `${s.name}-reference`);
  copyTree(s.tree, ref);
  const r = await runCliAsync(runArgs(s, ref), { env: s.env, watch: lockFile(ref) });
  if (r.code !== 0) throw new Error(`reference run of ${s.name} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  return {
    ...s,
    expected: dayViews(ref, join(work, 'scratch-ref')),
    runMs: r.ms,
    lockedMs: r.ms - (r.watchedAtMs ?? 0),
  };
}

/**
 * Builds the scenarios in `work`:
 * - `raw`: 7 simulated days as a writer leaves them; the run seals, backs up, compresses (into db/ and straight
 *   into archive/), purges the oldest and pre-creates today and tomorrow.
 * - `staged`: that tree after its run, run again two days later: seals the two pre-created days, compresses,
 *   archives the db/ `.zst` days, purges archived days and old backups.
 * - `big` (optional): one day of `bigRows` rows at level 19 in 1 MiB frames among small days, so that a kill
 *   lands in the middle of a long multi-frame compression.
 */
export async function buildScenarios(
  work: string,
  options: { big?: { rows: number; level: number } } = {},
): Promise<Scenario[]> {
  const config = join(work, 'tickdb.json');
  writeFileSync(config, JSON.stringify(POLICY));
  const raw = join(work, 'raw');
  simulate(raw, 7, 2000, NOW0);
  const rawBefore = dayViews(raw, join(work, 'scratch-before'));
  const rawScenario = await finish(
    { name: 'raw', tree: raw, config, now: NOW0, env: FAST_ENV, before: rawBefore },
    work,
  );
  const staged = join(work, 'staged');
  copyTree(join(work, 'raw-reference'), staged);
  const stagedScenario = await finish(
    {
      name: 'staged',
      tree: staged,
      config,
      now: NOW1,
      env: FAST_ENV,
      before: dayViews(staged, join(work, 'scratch-before')),
    },
    work,
  );
  const out = [rawScenario, stagedScenario];
  if (options.big !== undefined) {
    const big = join(work, 'big');
    // The big day first (age 3 as of NOW0: compressed into db/), then small days around it (the big one is kept).
    simulate(big, 1, options.big.rows, '2026-03-12T12:00:00Z');
    simulate(big, 5, 2000, NOW0);
    const env = { TICKDB_COMPRESSION_LEVEL: String(options.big.level), TICKDB_FRAME_SIZE_MIB: '1' };
    out.push(
      await finish(
        { name: 'big', tree: big, config, now: NOW0, env, before: dayViews(big, join(work, 'scratch-before')) },
        work,
      ),
    );
  }
  return out;
}

export interface CrashCheck {
  recovery: TimedResult;
  views: Map<string, DayView>;
}

/**
 * The checks made after every crash: the next `run --once` succeeds, leaves no `.tmp`, and the tree holds every
 * day where an uninterrupted run puts it, with exactly the rows it had before; metadata agrees with the files
 * and the audit chain is whole.
 */
export async function recoverAndCheck(s: Scenario, root: string, scratch: string, label: string): Promise<CrashCheck> {
  const recovery = await runCliAsync(runArgs(s, root), { env: s.env });
  expect(recovery.code, `${label}: the run after the crash failed\n${recovery.stdout}\n${recovery.stderr}`).toBe(0);
  expect(tmpFiles(root), `${label}: .tmp files left`).toEqual([]);
  const views = dayViews(root, scratch);
  expect(Object.fromEntries(views), `${label}: days differ from an uninterrupted run`).toEqual(
    Object.fromEntries(s.expected),
  );
  for (const [key, v] of views) {
    const b = s.before.get(key);
    if (b !== undefined && v.where !== 'none')
      expect({ key, rows: v.rows, digest: v.digest }, label).toEqual({ key, rows: b.rows, digest: b.digest });
  }
  expect(metadataProblems(root, views), label).toEqual([]);
  expect(await auditProblems(root), label).toEqual([]);
  return { recovery, views };
}
