import { effectiveThresholds, type Config, type DatasetConfig } from '../config/schema.js';
import { addDays, ageOf, dayOf, dayStartMs, type Day } from '../layout/day.js';
import type { DayFiles, TierFile, TierScan } from '../layout/scan.js';
import { dayKey, dayPath, type TierDirs } from '../layout/tiers.js';
import type { DayRecord, Metadata } from '../store/metadata-types.js';
import { holdFor } from './legal-hold.js';
import { type DiskFacts, type EarlyRelief, earlyRelief } from './plan-early.js';
import { planRemoteOnly, purgeRemoteStep, s3PlanOf, uploadStep, type S3Plan } from './plan-remote.js';
import type { LifecycleJob, Plan, PlanNote, Step } from './step-types.js';

export interface PlanInput {
  scan: TierScan;
  metadata: Metadata;
  config: Config;
  dirs: TierDirs;
  now: Date;
  jobs: ReadonlySet<LifecycleJob>;
  /** Lifts the purge guards (too many days, clock behind the newest sealed day). Never lifts a legal hold. */
  force?: boolean;
  /** Free space of the db and archive tiers (measured by the caller): below warnFreePercent, days move early. */
  disk?: DiskFacts;
}

/** Where a day's one good copy is, as the plan goes on (a compress moves it from `db` to `zst` or `archive`). */
type Place = 'db' | 'zst' | 'archive' | 'none';

interface DayView {
  dataset: DatasetConfig;
  day: Day;
  age: number;
  files: DayFiles;
  record: DayRecord | undefined;
  place: Place;
  primary: TierFile | undefined;
}

const JOB_ORDER: Record<Step['job'], number> = { recover: 0, rotate: 1, compress: 2, archive: 3, purge: 4 };

function allFiles(f: DayFiles): TierFile[] {
  return [f.db, f.zst, f.archive, f.archiveDb, f.backup, ...f.extra].filter((x): x is TierFile => x !== undefined);
}

function isSealed(rec: DayRecord | undefined, file: TierFile): boolean {
  return (
    rec !== undefined &&
    rec.sha256 !== undefined &&
    rec.bytes === file.bytes &&
    !file.hasWal &&
    (rec.state === 'sealed' || rec.state === 'compressed' || rec.state === 'archived')
  );
}

function hasVerifiedZst(rec: DayRecord | undefined, file: TierFile): boolean {
  return rec !== undefined && rec.sha256 !== undefined && rec.zstSha256 !== undefined && rec.zstBytes === file.bytes;
}

/**
 * The planner: disk state + metadata + clock + policy -> the steps that are due, in the order they must run.
 * Pure: no I/O, no clock reads. Each day follows its chain (seal -> backup -> compress -> archive -> purge); a
 * step of a job that was not asked for ends the day's chain for this plan, since later steps depend on it.
 */
export function plan(input: PlanInput): Plan {
  const { scan, metadata, config, dirs, now, jobs } = input;
  const today = dayOf(now);
  const steps: Step[] = [];
  const notes: PlanNote[] = [];
  const want = (job: LifecycleJob): boolean => jobs.has(job);
  const graceOver = now.getTime() >= dayStartMs(today) + config.graceMinutes * 60_000;
  const datasets = new Map(config.datasets.map((d) => [d.prefix, d]));

  const early = earlyRelief({ scan, metadata, config, today, disk: input.disk });
  for (const path of scan.tmpFiles) steps.push({ kind: 'cleanup-tmp', job: 'recover', path });
  const oddDays = planOddEntries(scan, notes);

  const purgeSteps: Step[] = [];
  const s3 = s3PlanOf(config);
  const keys = [...scan.days.keys()].sort();
  for (const key of keys) {
    const files = scan.days.get(key);
    const dataset = files === undefined ? undefined : datasets.get(files.dataset);
    if (files === undefined || dataset === undefined || oddDays.has(key)) continue;
    const t = effectiveThresholds(config, dataset);
    const record = metadata.days[key];
    const age = ageOf(files.day, today);
    const base = { dataset: files.dataset, day: files.day, age };
    const primaries = [files.db, files.zst, files.archive].filter((x): x is TierFile => x !== undefined);
    const v: DayView = { dataset, day: files.day, age, files, record, place: 'none', primary: undefined };

    if (record?.state === 'quarantined') {
      notes.push({
        ...base,
        job: 'recover',
        kind: 'quarantined',
        message: `${key} is quarantined (${record.quarantine?.reason ?? 'no reason recorded'}); skipped until released`,
      });
      continue;
    }
    // A move interrupted by a crash: the recorded successor decides, nothing else may touch the day this run.
    if (record?.pendingDelete !== undefined) {
      const successor = primaries.find((f) => f.path !== record.pendingDelete);
      steps.push({
        ...base,
        kind: 'finish-pending',
        job: 'recover',
        source: record.pendingDelete,
        successor: successor?.path ?? '',
      });
      continue;
    }
    const extras = files.extra.filter((f) => f.tier !== 'backup');
    if (primaries.length + extras.length > 1 || files.archiveDb !== undefined) {
      const all = [...primaries, ...extras, ...(files.archiveDb ? [files.archiveDb] : [])];
      steps.push({
        ...base,
        kind: 'quarantine',
        job: 'recover',
        path: all[0]?.path ?? '',
        reason: `day present ${all.length} times (${all.map((f) => f.path).join(', ')}); an operator must decide which copy is good`,
      });
      continue;
    }
    v.primary = primaries[0];
    v.place =
      files.db !== undefined
        ? 'db'
        : files.zst !== undefined
          ? 'zst'
          : files.archive !== undefined
            ? 'archive'
            : 'none';

    const hold = age >= t.purgeAfterDays ? holdFor(config.legalHolds, files.dataset, files.day) : undefined;
    if (hold !== undefined) {
      // Kept, and still managed like any old day (sealed, compressed into the archive tier).
      notes.push({
        ...base,
        job: 'purge',
        kind: 'held',
        message: `${key} is past purgeAfterDays (${t.purgeAfterDays}) but under legal hold: ${hold.reason}`,
      });
    } else if (age >= t.purgeAfterDays) {
      if (want('purge')) {
        const paths = allFiles(files);
        // The bucket's version first: while its retention holds, the executor stops the day there (local copy kept).
        const remote =
          record === undefined
            ? undefined
            : purgeRemoteStep(base, record, `age ${age} >= purgeAfterDays ${t.purgeAfterDays}`, true);
        if (remote !== undefined) purgeSteps.push(remote);
        purgeSteps.push({
          ...base,
          kind: 'purge',
          job: 'purge',
          paths: paths.map((f) => f.path),
          bytes: paths.reduce((s, f) => s + f.bytes, 0),
          reason: `age ${age} >= purgeAfterDays ${t.purgeAfterDays}`,
        });
      }
      continue;
    }
    if (v.primary === undefined || age <= 0) {
      planBackupPurge(v, t.backupRetentionDays, want, purgeSteps, false);
      continue;
    }
    const planned = steps.length;
    v.place = planChain(v, t, { dirs, want, graceOver, steps, notes, early, s3 });
    const copyMadeNow = steps.slice(planned).some((s) => s.kind === 'compress' || s.kind === 'adopt-zst');
    planBackupPurge(v, t.backupRetentionDays, want, purgeSteps, copyMadeNow);
  }

  if (s3 !== undefined) planRemoteOnly({ ...input, want }, today, datasets, purgeSteps, notes);
  if (want('rotate')) planPrecreate(input, today, steps, oddDays);
  guardPurge(input, today, purgeSteps, notes, steps);
  steps.sort((a, b) => JOB_ORDER[a.job] - JOB_ORDER[b.job]);
  return { today, steps, notes };
}

interface ChainContext {
  dirs: TierDirs;
  want: (job: LifecycleJob) => boolean;
  graceOver: boolean;
  steps: Step[];
  notes: PlanNote[];
  /** Days to move before their age asks for it: the db tier is low on space. */
  early: EarlyRelief;
  /** With an S3 archive target: days past archiveAfterDays are uploaded instead of moved to archive/. */
  s3?: S3Plan | undefined;
}

/**
 * seal -> backup -> compress (into db/ or straight into archive/) -> archive, for one day. Returns where the day
 * will be once the planned steps are done (the executor stops a day's chain at the first step that fails).
 */
function planChain(v: DayView, t: ReturnType<typeof effectiveThresholds>, c: ChainContext): Place {
  const { dataset, day, age } = v;
  const prefix = dataset.prefix;
  const base = { dataset: prefix, day, age };
  const key = dayKey(prefix, day);
  const primary = v.primary;
  if (primary === undefined) return v.place;

  if (v.place === 'db') {
    if (!isSealed(v.record, primary)) {
      if (age === 1 && !c.graceOver) {
        c.notes.push({ ...base, job: 'rotate', kind: 'not-due', message: `${key} is sealed after midnight + grace` });
        return v.place;
      }
      if (!c.want('rotate')) return v.place;
      c.steps.push({ ...base, kind: 'seal', job: 'rotate', path: primary.path, bytes: primary.bytes });
    }
    const backup = v.files.backup;
    if (age < t.backupRetentionDays && c.want('rotate')) {
      const matches =
        backup !== undefined &&
        v.record?.backupSha256 !== undefined &&
        v.record.backupSha256 === v.record.sha256 &&
        backup.bytes === v.record.bytes;
      if (!matches) {
        c.steps.push({
          ...base,
          kind: 'backup',
          job: 'rotate',
          source: primary.path,
          dest: dayPath(c.dirs, 'backup', prefix, day, 'db'),
          bytes: primary.bytes,
          reason: backup === undefined ? 'missing' : 'mismatch',
        });
      }
    }
    const early = age < t.compressAfterDays ? c.early.compress.get(key) : undefined;
    if (age < t.compressAfterDays && early === undefined) return v.place;
    if (!c.want('compress')) return v.place;
    // Past archiveAfterDays: straight into the archive tier. Early, with the archive on another file system: there
    // too, so that nothing of the day is left on the db tier's file system.
    const toArchive = age >= t.archiveAfterDays || (early !== undefined && c.early.archiveElsewhere);
    c.steps.push({
      ...base,
      kind: 'compress',
      job: 'compress',
      source: primary.path,
      dest: dayPath(c.dirs, toArchive ? 'archive' : 'db', prefix, day, 'zst'),
      bytes: primary.bytes,
      level: t.compressionLevel,
      ...(early !== undefined ? { early } : {}),
    });
    if (!toArchive) return 'zst';
    // into the archive tier (with an S3 target, uploaded from there in this run)
    if (c.s3 !== undefined && c.want('archive')) {
      const up = uploadStep(base, v.record, dayPath(c.dirs, 'archive', prefix, day, 'zst'), 0, c.s3, true);
      if (up !== undefined) c.steps.push(up);
    }
    return 'archive';
  }
  const adoptJob = v.place === 'zst' ? 'compress' : 'archive';
  if (!hasVerifiedZst(v.record, primary)) {
    if (!c.want(adoptJob)) return v.place;
    c.steps.push({ ...base, kind: 'adopt-zst', job: adoptJob, path: primary.path, bytes: primary.bytes });
  }
  const early = age < t.archiveAfterDays ? c.early.archive.get(key) : undefined;
  const archiveDue = age >= t.archiveAfterDays || early !== undefined;
  if (c.s3 !== undefined) {
    if (!archiveDue || !c.want('archive')) return v.place;
    const up = uploadStep(base, v.record, primary.path, primary.bytes, c.s3, false);
    if (up !== undefined) c.steps.push(up);
    return v.place;
  }
  if (v.place === 'zst' && archiveDue && c.want('archive')) {
    c.steps.push({
      ...base,
      kind: 'archive',
      job: 'archive',
      source: primary.path,
      dest: dayPath(c.dirs, 'archive', prefix, day, 'zst'),
      bytes: primary.bytes,
      ...(early !== undefined ? { early } : {}),
    });
    return 'archive';
  }
  return v.place;
}

/**
 * Backups older than backupRetentionDays go once the day has a verified compressed copy: already recorded, or
 * made earlier in this plan (the executor checks the record again before it deletes anything).
 */
function planBackupPurge(
  v: DayView,
  retention: number,
  want: (job: LifecycleJob) => boolean,
  out: Step[],
  copyMadeNow: boolean,
): void {
  const backup = v.files.backup;
  if (backup === undefined || v.age < retention || !want('purge')) return;
  if (v.place !== 'zst' && v.place !== 'archive') return;
  if (!copyMadeNow && (v.primary === undefined || !hasVerifiedZst(v.record, v.primary))) return;
  out.push({
    dataset: v.dataset.prefix,
    day: v.day,
    age: v.age,
    kind: 'purge-backup',
    job: 'purge',
    path: backup.path,
    bytes: backup.bytes,
    reason: `backup age ${v.age} >= backupRetentionDays ${retention} and the day has a verified compressed copy`,
  });
}

function planPrecreate(input: PlanInput, today: Day, steps: Step[], oddDays: ReadonlySet<string>): void {
  for (const dataset of input.config.datasets) {
    for (const day of [today, addDays(today, 1)]) {
      const key = dayKey(dataset.prefix, day);
      if (oddDays.has(key)) continue;
      const files = input.scan.days.get(key);
      const rec = input.metadata.days[key];
      // A database already there with no record (made by the writer itself, or by a run killed between creating the
      // file and recording it) gets the same step: the file is left as it is and recorded as live.
      const unrecorded = files?.db !== undefined && rec === undefined;
      if ((files?.db ?? files?.zst ?? files?.archive) !== undefined && !unrecorded) continue;
      if (rec !== undefined && rec.state !== 'live') continue; // sealed or beyond: never re-created over
      steps.push({
        dataset: dataset.prefix,
        day,
        age: ageOf(day, today),
        kind: 'precreate',
        job: 'rotate',
        path: dayPath(input.dirs, 'db', dataset.prefix, day, 'db'),
        ...(unrecorded ? { exists: true as const } : {}),
      });
    }
  }
}

/**
 * An entry named like a day's file that is not a regular file (a symlink, a FIFO, a directory): the day gets no step
 * at all (nothing is followed, opened, sealed over or purged, its backup is kept) and the run reports it as a
 * problem of the job that would have handled the file, until an operator puts the day's file back.
 */
function planOddEntries(scan: TierScan, notes: PlanNote[]): Set<string> {
  const keys = new Set<string>();
  for (const a of scan.anomalies) {
    if (a.kind !== 'not-a-file' || a.dataset === undefined || a.day === undefined) continue;
    keys.add(dayKey(a.dataset, a.day));
    const job: LifecycleJob =
      a.tier === 'archive' ? 'archive' : a.tier === 'db' && a.path.endsWith('.zst') ? 'compress' : 'rotate';
    notes.push({ dataset: a.dataset, day: a.day, job, kind: 'anomaly', blocking: true, message: a.message });
  }
  return keys;
}

/** Purge refuses, unless forced, to delete more than maxPurgeDaysPerRun days or to run on a clock behind the data. */
function guardPurge(input: PlanInput, today: Day, purgeSteps: Step[], notes: PlanNote[], steps: Step[]): void {
  if (purgeSteps.length === 0) return;
  const days = new Set(
    purgeSteps.filter((s) => s.kind === 'purge').map((s) => ('dataset' in s ? `${s.dataset}/${s.day}` : '')),
  );
  const sealedDays = Object.values(input.metadata.days)
    .filter(
      (r) => r.sealedAt !== undefined || r.state === 'sealed' || r.state === 'compressed' || r.state === 'archived',
    )
    .map((r) => r.day);
  const newestSealed = sealedDays.sort().at(-1);
  if (input.force !== true && newestSealed !== undefined && newestSealed >= today) {
    notes.push({
      job: 'purge',
      kind: 'refused',
      blocking: true,
      message: `purge refused: the clock (${today}) is not after the newest sealed day (${newestSealed}); check the system clock or --now, or use --force`,
    });
    return;
  }
  if (input.force !== true && days.size > input.config.maxPurgeDaysPerRun) {
    notes.push({
      job: 'purge',
      kind: 'refused',
      blocking: true,
      message: `purge refused: it would delete ${days.size} days, more than maxPurgeDaysPerRun (${input.config.maxPurgeDaysPerRun}); review with --dry-run, then use --force`,
    });
    steps.push(...purgeSteps.filter((s) => s.kind === 'purge-backup'));
    return;
  }
  steps.push(...purgeSteps);
}
