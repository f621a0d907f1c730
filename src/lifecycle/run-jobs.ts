import type { Clock } from '../clock.js';
import type { Config, LegalHold } from '../config/schema.js';
import { dayOf } from '../layout/day.js';
import { scanTiers, type TierScan } from '../layout/scan.js';
import type { TierDirs } from '../layout/tiers.js';
import type { Logger } from '../log.js';
import { catchUpCheckpoint } from '../store/audit.js';
import { loadMetadataForUpdate, readMetadata, type MetadataRead } from '../store/metadata.js';
import type { JobOutcome, Metadata } from '../store/metadata-types.js';
import { rebuildMetadata } from '../store/rebuild-metadata.js';
import { TickdbError } from '../errors.js';
import { recoverRemoteRecords } from './recover-remote.js';
import { DayStore } from './day-store.js';
import type { RemoteArchive } from './exec-context.js';
import { openRemote } from './open-remote.js';
import { readDiskFacts } from './disk-facts.js';
import type { ExecContext } from './exec-context.js';
import { executePlan, type StepResult } from './execute.js';
import { plan } from './plan.js';
import { longestRetention, planObjectLock, type ObjectLockPlan } from './plan-object-lock.js';
import { anchorAudit, extendAnchors } from './anchor-audit.js';
import { testRetentionOverride } from '../archive-target/retention.js';
import { stepKey, type LifecycleJob, type Plan, type PlanNote, type Step } from './step-types.js';

export interface RunJobsOptions {
  jobs: readonly LifecycleJob[];
  dryRun: boolean;
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (text: string) => void;
  /** Legal holds as they are now (the caller re-reads the config file); defaults to the config's. */
  currentHolds?: () => readonly LegalHold[];
}

export interface RunJobsContext {
  config: Config;
  dirs: TierDirs;
  clock: Clock;
  logger: Logger;
}

export interface JobsReport {
  now: string;
  today: string;
  dryRun: boolean;
  ok: boolean;
  results: StepResult[];
  notes: PlanNote[];
  jobs: Partial<Record<LifecycleJob, JobOutcome>>;
  /** Where an unusable metadata file was kept aside, if one was. */
  metadataKeptAside?: string;
  metadataRebuilt: boolean;
}

const FAILING = new Set(['failed', 'quarantined']);

async function loadOrRebuild(
  ctx: RunJobsContext,
  now: Date,
  dryRun: boolean,
  remote: RemoteArchive | undefined,
): Promise<{ metadata: Metadata; keptAside?: string; rebuilt: boolean }> {
  const read: MetadataRead & { keptAside?: string } = dryRun
    ? await readMetadata(ctx.dirs, now)
    : await loadMetadataForUpdate(ctx.dirs, now);
  if (read.found) return { metadata: read.metadata, rebuilt: false };
  const scan = await scanTiers(
    ctx.dirs,
    ctx.config.datasets.map((d) => d.prefix),
  );
  const metadata = await rebuildMetadata(ctx.dirs, scan, undefined, now);
  await recoverInto(ctx, metadata, now, remote);
  const keptAside = read.keptAside;
  if (read.problem !== undefined) {
    ctx.logger.warn(
      { job: 'recover', path: ctx.dirs.db },
      `${read.problem}; ${keptAside ? `kept aside as ${keptAside}, ` : ''}rebuilding from the files on disk`,
    );
  }
  return { metadata, rebuilt: true, ...(keptAside ? { keptAside } : {}) };
}

/** The S3 archive's days back into a rebuilt metadata (DESIGN 12), or a warning naming the command that does it. */
async function recoverInto(
  ctx: RunJobsContext,
  metadata: Metadata,
  now: Date,
  remote: RemoteArchive | undefined,
): Promise<void> {
  if (ctx.config.archiveTarget?.type !== 's3') return;
  const why = remote === undefined ? 'this run does not use the bucket' : (remote.offline ?? remote.refused)?.message;
  if (remote !== undefined && why === undefined) {
    try {
      const r = await recoverRemoteRecords(
        remote.target,
        ctx.config.datasets.map((d) => d.prefix),
        metadata,
        now,
      );
      ctx.logger.warn(
        { job: 'recover', path: r.location },
        `recovered ${r.recovered.length} day record(s) from the S3 archive into the rebuilt metadata`,
      );
      return;
    } catch (err) {
      if (!(err instanceof TickdbError)) throw err;
      ctx.logger.error({ job: 'recover', path: remote.target.location }, err.describe());
    }
  }
  ctx.logger.error(
    { job: 'recover', path: ctx.dirs.db },
    `the metadata was rebuilt without the S3 archive's days${why !== undefined ? ` (${why})` : ''}; run \`tickdb verify --rebuild\` once the bucket can be reached to recover them`,
  );
}

/**
 * One pass of the lifecycle (the caller holds the tree lock): read state, scan, plan, execute, record each
 * job's outcome. One clock reading decides everything. With dryRun nothing at all is written. Moves left pending
 * by a crash are finished (or rolled back) first and the plan is made again, so that one run completes the work.
 */
export async function runJobs(ctx: RunJobsContext, options: RunJobsOptions): Promise<JobsReport> {
  // The S3 archive (DESIGN 12) is opened only by jobs that use it, and never by a dry run; its bucket is checked
  // before anything is read or written (a missing bucket or lock is a configuration error).
  const usesRemote = !options.dryRun && options.jobs.some((j) => j === 'archive' || j === 'purge');
  const remote = usesRemote ? await openRemote(ctx.config, ctx.logger) : undefined;
  try {
    return await runJobsWith(ctx, options, remote);
  } finally {
    remote?.target.close();
  }
}

/**
 * Once every object-lock step of the pass went through, the policy is recorded as applied (the next passes plan
 * nothing until the config changes again); a retention that shrank is said once, here: a log line and an audit
 * line `retention-kept`, since objects already in the bucket keep their longer date.
 */
async function recordObjectLock(
  lock: ObjectLockPlan,
  results: readonly StepResult[],
  store: DayStore,
  ctx: RunJobsContext,
  remote: RemoteArchive | undefined,
): Promise<void> {
  if (!lock.changed || lock.policy === undefined) return;
  const lockResults = results.filter((r) => r.step.kind === 'object-lock');
  if (lockResults.some((r) => r.outcome.status !== 'done' && r.outcome.status !== 'skipped')) return;
  const applied = store.metadata.objectLockApplied;
  const grew =
    applied !== undefined && longestRetention(lock.policy.retentionDays) > longestRetention(applied.retentionDays);
  if (grew && (remote === undefined || !(await extendAnchors(store, remote, ctx.config)))) return;
  for (const s of lock.shrunk) {
    const message = `${s.dataset}: retention lowered from ${s.from} to ${s.to} days; objects already in the S3 archive keep their longer retention (Object Lock is never shortened)`;
    ctx.logger.warn({ job: 'archive', dataset: s.dataset }, message);
    await store.audit({ event: 'retention-kept', dataset: s.dataset, from: s.from, to: s.to, detail: message });
  }
  store.metadata.objectLockApplied = { ...lock.policy, appliedAt: ctx.clock.now().toISOString() };
}

async function runJobsWith(
  ctx: RunJobsContext,
  options: RunJobsOptions,
  remote: RemoteArchive | undefined,
): Promise<JobsReport> {
  const now = ctx.clock.now();
  const { metadata, keptAside, rebuilt } = await loadOrRebuild(ctx, now, options.dryRun, remote);
  const store = new DayStore(ctx.dirs, metadata, ctx.clock);
  if (!options.dryRun && !rebuilt) metadata.audit = await catchUpCheckpoint(ctx.dirs, metadata.audit);
  if (!options.dryRun && (rebuilt || keptAside !== undefined)) {
    await store.audit({ event: 'metadata-rebuilt', ...(keptAside ? { keptAside } : {}) });
    await store.save();
  }
  const exec: ExecContext = {
    config: ctx.config,
    dirs: ctx.dirs,
    clock: ctx.clock,
    logger: ctx.logger,
    store,
    currentHolds: options.currentHolds ?? (() => ctx.config.legalHolds),
    signal: options.signal,
    onProgress: options.onProgress,
    remote,
  };
  const planNow = async (): Promise<{ scan: TierScan; p: Plan }> => {
    const scan = await scanTiers(
      ctx.dirs,
      ctx.config.datasets.map((d) => d.prefix),
    );
    // Free space, for the early relief of a db tier below warnFreePercent (the planner itself does no I/O).
    const disk = await readDiskFacts(ctx.dirs, ctx.logger);
    return {
      scan,
      p: plan({
        scan,
        metadata,
        config: ctx.config,
        dirs: ctx.dirs,
        now,
        jobs: new Set(options.jobs),
        force: options.force === true,
        ...(disk !== undefined ? { disk } : {}),
      }),
    };
  };
  let { scan, p } = await planNow();
  const results: StepResult[] = [];
  if (!options.dryRun && p.steps.some((s) => s.kind === 'finish-pending')) {
    // A move interrupted by a crash: finish or roll it back first, then plan again from the disk as it now is,
    // so that this same run also does the day's remaining work (the redone compress, the archive, the backup purge).
    const isRecovery = (s: Step): boolean => s.kind === 'finish-pending' || s.kind === 'cleanup-tmp';
    const recoveryKey = (s: Step): string => (s.kind === 'cleanup-tmp' ? `tmp:${s.path}` : `day:${stepKey(s) ?? ''}`);
    const recovered = await executePlan(p.steps.filter(isRecovery), exec, false);
    results.push(...recovered);
    ({ scan, p } = await planNow());
    const tried = new Set(recovered.map((r) => recoveryKey(r.step)));
    p.steps = p.steps.filter((s) => !isRecovery(s) || !tried.has(recoveryKey(s))); // one that failed is reported once
  }
  // The Object Lock sync (DESIGN 12) goes first, so that a hold lifted from the config is lifted in the bucket
  // before the day's purge; it is planned only when the config's policy differs from the one applied.
  const lock = options.jobs.some((j) => j === 'archive' || j === 'purge')
    ? planObjectLock({
        metadata,
        config: ctx.config,
        holds: exec.currentHolds(),
        now,
        job: options.jobs.includes('archive') ? 'archive' : 'purge',
        keepTestRetention: testRetentionOverride() !== undefined,
      })
    : undefined;
  if (lock !== undefined) p.steps = [...lock.steps, ...p.steps];
  for (const a of scan.anomalies)
    if (a.kind !== 'duplicate-day') ctx.logger.warn({ job: 'scan', path: a.path, day: a.day }, a.message);
  for (const n of p.notes) ctx.logger[n.blocking ? 'error' : 'info']({ job: n.job, day: n.day }, n.message);
  results.push(...(await executePlan(p.steps, exec, options.dryRun)));
  if (!options.dryRun && lock !== undefined) await recordObjectLock(lock, results, store, ctx, remote);
  // The audit trail's finished days go to the bucket too (DESIGN 12), after the pass's own lines.
  const remoteJob: LifecycleJob = options.jobs.includes('archive') ? 'archive' : 'purge';
  const anchored =
    remote !== undefined && options.signal?.aborted !== true
      ? await anchorAudit(store, remote, ctx.config, ctx.logger, now)
      : undefined;

  const jobs: Partial<Record<LifecycleJob, JobOutcome>> = {};
  const finishedAt = ctx.clock.now().toISOString();
  for (const job of options.jobs) {
    const mine = results.filter((r) => r.step.job === job || (job === options.jobs[0] && r.step.job === 'recover'));
    const counts: Record<string, number> = {};
    for (const r of mine) {
      const k = r.outcome.status === 'done' ? r.step.kind : r.outcome.status;
      counts[k] = (counts[k] ?? 0) + 1;
    }
    const errors = [
      ...mine.filter((r) => FAILING.has(r.outcome.status)).map((r) => r.outcome.message),
      ...p.notes.filter((n) => n.job === job && n.blocking === true).map((n) => n.message),
      ...(job === remoteJob && anchored?.error !== undefined ? [anchored.error] : []),
    ];
    const previous = metadata.jobs[job];
    const ok = errors.length === 0;
    const outcome: JobOutcome = { startedAt: now.toISOString(), finishedAt, ok, counts, errors };
    const lastSuccessAt = ok ? finishedAt : previous?.lastSuccessAt;
    if (lastSuccessAt !== undefined) outcome.lastSuccessAt = lastSuccessAt;
    jobs[job] = outcome;
    if (!options.dryRun && options.signal?.aborted !== true) metadata.jobs[job] = outcome;
  }
  if (!options.dryRun) await store.save();
  return {
    now: now.toISOString(),
    today: dayOf(now),
    dryRun: options.dryRun,
    ok: Object.values(jobs).every((j) => j.ok),
    results,
    notes: p.notes,
    jobs,
    metadataRebuilt: rebuilt,
    ...(keptAside ? { metadataKeptAside: keptAside } : {}),
  };
}
