import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { TickdbError, ioError } from '../errors.js';
import { ageOf, dayOf, type Day } from '../layout/day.js';
import type { TierScan } from '../layout/scan.js';
import { dayKey, tierDirs } from '../layout/tiers.js';
import type { DayStore } from '../lifecycle/day-store.js';
import type { DayRecord, JobOutcome } from '../store/metadata-types.js';
import { checkCopy } from './check-copy.js';
import {
  localCopies,
  missingCopies,
  notDrillable,
  pickDrillDays,
  seededRandom,
  type DrillCandidate,
} from './drill-plan.js';
import type { CopyCheck, CopyTier, DayDrill, RemoteCopySource, StoredCopy } from './drill-types.js';

export interface DrillContext {
  config: Config;
  clock: Clock;
  store: DayStore;
  scan: TierScan;
  /** The remote archive tier, when one is configured (issue 17's S3 target). */
  remote?: RemoteCopySource | undefined;
  signal?: AbortSignal | undefined;
  /** Where the scratch folder is made (default: the system's temporary directory, TMPDIR). */
  scratchParent?: string;
  onProgress?: ((text: string) => void) | undefined;
}

export interface DrillRequest {
  /** A drill by hand of one day: every stored copy. Without it, the scheduled drill: one day per tier. */
  target?: { dataset: string; day: Day };
  seed?: number;
  dryRun: boolean;
}

export interface DrillReport {
  now: string;
  dryRun: boolean;
  /** The seed of the scheduled drill's random choice (`--seed` replays it). */
  seed?: number;
  ok: boolean;
  days: DayDrill[];
  /** What was planned (a dry run checks nothing), and the recorded copies not found on disk (a drill by hand). */
  planned: Planned[];
  notes: string[];
  job?: JobOutcome;
}

const LOCAL_TIERS: readonly CopyTier[] = ['db', 'backup', 'archive'];

interface Planned {
  key: string;
  copies: StoredCopy[];
  /** Copies the record vouches for that are not on disk (a drill by hand): failed checks, made in the plan. */
  missing?: CopyCheck[];
}

/** The copies of a day its record vouches for: the local ones, and the remote tier's when one is configured. */
function copiesOf(ctx: DrillContext, rec: DayRecord): StoredCopy[] {
  const local = localCopies(rec, ctx.scan.days.get(dayKey(rec.dataset, rec.day)));
  const remote = ctx.remote?.copyOf(rec);
  return remote === undefined ? local : [...local, remote];
}

/** The day and copies of a drill by hand; refused (exit 1, naming the day) when there is nothing to drill. */
function targetOf(ctx: DrillContext, target: { dataset: string; day: Day }): Planned[] {
  const key = dayKey(target.dataset, target.day);
  const rec = ctx.store.get(target.dataset, target.day);
  if (rec === undefined) {
    throw new TickdbError('NOT_FOUND', `${key} is not recorded in the metadata; nothing to drill`, {
      hint: 'check the day and --dataset (`tickdb inventory`); after a lost metadata file, `tickdb verify --rebuild`, then `tickdb run --once`',
    });
  }
  const why = notDrillable(rec);
  if (why !== undefined)
    throw new TickdbError('REFUSED', `${key} cannot be drilled: ${why}`, {
      hint: 'see `tickdb status` and `tickdb quarantine list`',
    });
  const copies = copiesOf(ctx, rec);
  if (copies.length === 0) {
    throw new TickdbError('NOT_FOUND', `no stored copy of ${key} was found (state ${rec.state})`, {
      hint: 'run `tickdb verify` to see which file is missing; `tickdb restore DAY --from backup` puts a lost day back',
    });
  }
  const missing = missingCopies(rec, ctx.scan.days.get(key), tierDirs(ctx.config));
  return [missing.length === 0 ? { key, copies } : { key, copies, missing }];
}

/** The scheduled drill's days: one per tier, weighted towards the oldest. */
function scheduledTargets(ctx: DrillContext, random: () => number): Planned[] {
  const today = dayOf(ctx.clock.now());
  const byKey = new Map<string, StoredCopy[]>();
  const candidates: DrillCandidate[] = [];
  for (const rec of Object.values(ctx.store.metadata.days)) {
    const age = ageOf(rec.day, today);
    if (age < 1 || notDrillable(rec) !== undefined) continue;
    const copies = copiesOf(ctx, rec);
    if (copies.length === 0) continue;
    const key = dayKey(rec.dataset, rec.day);
    byKey.set(key, copies);
    candidates.push({ key, age, tiers: copies.map((c) => c.tier) });
  }
  candidates.sort((a, b) => a.key.localeCompare(b.key)); // the same seed picks the same days
  const tiers = ctx.remote === undefined ? LOCAL_TIERS : [...LOCAL_TIERS, ctx.remote.tier];
  const out = new Map<string, StoredCopy[]>();
  for (const pick of pickDrillDays(candidates, tiers, random)) {
    const copy = byKey.get(pick.key)?.find((c) => c.tier === pick.tier);
    if (copy !== undefined) out.set(pick.key, [...(out.get(pick.key) ?? []), copy]);
  }
  return [...out].map(([key, copies]) => ({ key, copies }));
}

/** One line per bad copy, for the quarantine reason and the errors. */
function failureText(key: string, c: CopyCheck): string {
  return `${key}: ${c.tier} copy ${c.location}: ${c.message}`;
}

/**
 * Records a day's drill: the outcome on the day and in the audit trail; a bad copy quarantines the day (DESIGN 3:
 * reported, recorded, never deleted, skipped by every job until an operator releases it). A bad backup is also no
 * longer recorded as the day's backup, so that restore will not use it and the next rotation, while the day is
 * still in db/, replaces it with a verified copy.
 */
async function recordDay(ctx: DrillContext, rec: DayRecord, drill: DayDrill, at: string): Promise<void> {
  const copies = drill.copies.map((c) => ({ tier: c.tier, location: c.location, ok: c.ok, message: c.message }));
  await ctx.store.transition(
    rec.dataset,
    rec.day,
    { drill: { at, ok: drill.ok, copies } },
    { event: 'drill', ok: drill.ok, copies },
  );
  const bad = drill.copies.filter((c) => c.bad);
  const first = bad[0];
  if (first === undefined) return;
  if (bad.some((c) => c.tier === 'backup')) await ctx.store.update(rec.dataset, rec.day, { backupSha256: undefined });
  const key = dayKey(rec.dataset, rec.day);
  await ctx.store.quarantine(
    rec.dataset,
    rec.day,
    first.location,
    `restore drill: ${bad.map((c) => failureText(key, c)).join('; ')}`,
  );
  drill.quarantined = true;
}

/**
 * The `drill` job's outcome: failed when any copy failed or could not be checked; a success needs at least one copy
 * checked, and otherwise the last success is carried over.
 */
function drillOutcome(ctx: DrillContext, started: Date, errors: string[], counts: JobOutcome['counts']): JobOutcome {
  const finishedAt = ctx.clock.now().toISOString();
  const succeeded = errors.length === 0 && (counts.copies ?? 0) > 0;
  const lastSuccessAt = succeeded ? finishedAt : ctx.store.metadata.jobs.drill?.lastSuccessAt;
  return {
    startedAt: started.toISOString(),
    finishedAt,
    ok: errors.length === 0,
    errors,
    counts,
    ...(lastSuccessAt !== undefined ? { lastSuccessAt } : {}),
  };
}

/**
 * A restore drill (the caller holds the tree lock): each chosen copy is restored to a scratch folder outside the
 * tiers and proven (integrity_check, SHA-256, rows, time range against the metadata); the outcome is recorded on
 * each day, in the audit trail and as the `drill` job's outcome. A bad copy quarantines its day. Copies that could
 * not be checked fail the drill without quarantining anything.
 */
export async function runDrill(ctx: DrillContext, req: DrillRequest): Promise<DrillReport> {
  const started = ctx.clock.now();
  const seed = req.seed ?? (started.getTime() ^ (process.pid << 16)) >>> 0;
  const planned = req.target !== undefined ? targetOf(ctx, req.target) : scheduledTargets(ctx, seededRandom(seed));
  const report: DrillReport = {
    now: started.toISOString(),
    dryRun: req.dryRun,
    ...(req.target === undefined ? { seed } : {}),
    ok: true,
    days: [],
    planned,
    notes: [],
  };
  if (planned.length === 0) report.notes.push('no sealed day with a stored copy: nothing to drill');
  if (req.dryRun) return report;

  let scratch: string;
  try {
    scratch = await mkdtemp(join(ctx.scratchParent ?? tmpdir(), 'tickdb-drill-'));
  } catch (err) {
    const failure = ioError(
      'create the drill scratch folder in',
      ctx.scratchParent ?? tmpdir(),
      err,
      'set TMPDIR to a writable folder with room for one decompressed day',
    );
    // A drill that could not start is a failed drill: status and the metrics must not go on showing the last success.
    ctx.store.metadata.jobs.drill = drillOutcome(ctx, started, [failure.message], {
      days: 0,
      copies: 0,
      failed: 0,
      unchecked: planned.reduce((n, p) => n + p.copies.length, 0),
    });
    // Saving can fail for the same reason (a full disk): the scratch folder's error is the one to report.
    await ctx.store.save().catch(() => undefined);
    throw failure;
  }
  try {
    for (const { key, copies, missing = [] } of planned) {
      if (ctx.signal?.aborted === true) break;
      const rec = ctx.store.metadata.days[key] as DayRecord;
      const dataset = ctx.config.datasets.find((d) => d.prefix === rec.dataset) ?? {
        tableName: 'ticks',
        timestampColumn: 'ts',
      };
      const checks: CopyCheck[] = [...missing];
      for (const copy of copies) {
        ctx.onProgress?.(`drill ${key} ${copy.tier}`);
        checks.push(
          await checkCopy(copy, rec, {
            dataset,
            threads: ctx.config.compressionThreads,
            scratchDir: scratch,
            remote: ctx.remote,
            signal: ctx.signal,
          }),
        );
      }
      const drill: DayDrill = {
        dataset: rec.dataset,
        day: rec.day,
        copies: checks,
        ok: checks.every((c) => c.ok),
        quarantined: false,
      };
      await recordDay(ctx, rec, drill, ctx.clock.now().toISOString());
      report.days.push(drill);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  const all = report.days.flatMap((d) => d.copies.map((c) => ({ key: dayKey(d.dataset, d.day), c })));
  const errors = all.filter(({ c }) => !c.ok).map(({ key, c }) => failureText(key, c));
  report.ok = errors.length === 0;
  const job = drillOutcome(ctx, started, errors, {
    days: report.days.length,
    copies: all.length,
    failed: all.filter(({ c }) => c.bad).length,
    unchecked: all.filter(({ c }) => !c.ok && !c.bad).length,
  });
  if (ctx.signal?.aborted !== true) ctx.store.metadata.jobs.drill = job;
  await ctx.store.save();
  report.job = job;
  return report;
}
