import { effectiveThresholds, type Thresholds } from '../../config/schema.js';
import { dayKey } from '../../layout/tiers.js';
import { plan } from '../../lifecycle/plan.js';
import { LIFECYCLE_JOBS, type LifecycleJob, type PlanNote, type Step } from '../../lifecycle/step-types.js';
import { outcome, type CheckOutput, type CheckResult } from './check-result.js';
import type { StatusFacts } from './facts.js';

/** One day with work that should have been done by now. */
export interface OverdueDay {
  dataset: string;
  day: string;
  age: number;
  /** The overdue steps of that day: `seal`, `backup`, `compress`, ... */
  kinds: string[];
  path: string | undefined;
}

export interface Backlog {
  /** False when it could not be computed (metadata unusable). */
  computed: boolean;
  overdue: OverdueDay[];
  /** Refusals that make a job fail until an operator acts (purge guards). */
  blocking: PlanNote[];
}

/** A backlog of more than this many days is CRITICAL. */
export const CRITICAL_BACKLOG_DAYS = 3;

/**
 * The longest gap, in days, that a job's cron schedule can leave between two runs: 1 for daily (or more often),
 * 7 when it names days of the week, 31 when it names days of the month or months. Coarse on purpose: the
 * backlog must never fire between two runs of a valid schedule.
 */
export function scheduleIntervalDays(cron: string): number {
  const fields = cron.trim().split(/\s+/);
  const [, , dom, month, dow] = fields.length === 6 ? fields.slice(1) : fields;
  if ((dom ?? '*') !== '*' || (month ?? '*') !== '*') return 31;
  if ((dow ?? '*') !== '*') return 7;
  return 1;
}

/**
 * The age from which a due step counts as overdue: the age at which it becomes due, plus the job's schedule
 * interval, plus one day of slack for the nightly jobs (a catch-up of many days may take hours). Rotation steps
 * (seal, backup) have no slack: with the daily rotation, yesterday's day is overdue from age 2.
 * Pre-creation is checked by `today`/`tomorrow`, and recovery steps may belong to a run in flight: neither counts.
 */
export function overdueAge(step: Step, t: Thresholds, interval: Record<LifecycleJob, number>): number | undefined {
  switch (step.kind) {
    case 'seal':
    case 'backup':
      return 1 + interval.rotate;
    case 'compress':
      return t.compressAfterDays + interval.compress + 1;
    case 'adopt-zst':
      return (
        (step.job === 'archive' ? t.archiveAfterDays : t.compressAfterDays) +
        interval[step.job === 'archive' ? 'archive' : 'compress'] +
        1
      );
    case 'archive':
      return t.archiveAfterDays + interval.archive + 1;
    case 'purge':
      return t.purgeAfterDays + interval.purge + 1;
    case 'purge-backup':
      return t.backupRetentionDays + interval.purge + 1;
    default:
      return undefined;
  }
}

function stepPath(step: Step): string | undefined {
  if ('path' in step) return step.path;
  if ('source' in step) return step.source;
  if ('paths' in step) return step.paths[0];
  return undefined;
}

/** Runs the pure planner as `run --once` would now, and keeps the steps that are overdue. */
export function computeBacklog(f: Pick<StatusFacts, 'now' | 'config' | 'dirs' | 'scan' | 'metadata'>): Backlog {
  if (!f.metadata.found && f.scan.days.size > 0) return { computed: false, overdue: [], blocking: [] };
  const { metadata } = f.metadata;
  const p = plan({ scan: f.scan, metadata, config: f.config, dirs: f.dirs, now: f.now, jobs: new Set(LIFECYCLE_JOBS) });
  const interval = Object.fromEntries(
    LIFECYCLE_JOBS.map((j) => [j, scheduleIntervalDays(f.config.schedules[j])]),
  ) as Record<LifecycleJob, number>;
  const datasets = new Map(f.config.datasets.map((d) => [d.prefix, d]));
  const byDay = new Map<string, OverdueDay>();
  for (const step of p.steps) {
    if (!('dataset' in step)) continue;
    const dataset = datasets.get(step.dataset);
    if (dataset === undefined) continue;
    const key = dayKey(step.dataset, step.day);
    // A day a writer still holds is the busy check's, not the agent's backlog: nothing can move until it is sealed.
    const rec = metadata.days[key];
    if (rec?.busySince !== undefined && rec.state === 'live') continue;
    const threshold = overdueAge(step, effectiveThresholds(f.config, dataset), interval);
    if (threshold === undefined || step.age < threshold) continue;
    const entry = byDay.get(key) ?? {
      dataset: step.dataset,
      day: step.day,
      age: step.age,
      kinds: [],
      path: stepPath(step),
    };
    if (!entry.kinds.includes(step.kind)) entry.kinds.push(step.kind);
    byDay.set(key, entry);
  }
  const overdue = [...byDay.values()].sort((a, b) => b.age - a.age);
  return { computed: true, overdue, blocking: p.notes.filter((n) => n.blocking === true && n.kind === 'refused') };
}

/** Check 6: days overdue for sealing, backup, compression, archive or purge, and refusals of the planner. */
export function checkBacklog(backlog: Backlog): CheckOutput {
  if (!backlog.computed) {
    return {
      results: [
        {
          name: 'backlog',
          status: 'UNKNOWN',
          brief: 'unknown (no usable metadata)',
          message: 'the backlog cannot be computed without usable metadata (see the metadata check)',
          hint: 'run `tickdb verify --rebuild` or let the agent rebuild the metadata at its next run',
        },
      ],
    };
  }
  const problems: CheckResult[] = [];
  const n = backlog.overdue.length;
  if (n > 0) {
    const listed = backlog.overdue
      .slice(0, 5)
      .map((d) => `${d.kinds.join('+')} ${dayKey(d.dataset, d.day)} (age ${d.age})`);
    const oldest = backlog.overdue[0];
    problems.push({
      name: 'backlog',
      status: n > CRITICAL_BACKLOG_DAYS ? 'CRITICAL' : 'WARNING',
      brief: `${n} day${n === 1 ? '' : 's'} overdue`,
      message: `${n} day${n === 1 ? ' is' : 's are'} overdue: ${listed.join(', ')}${n > 5 ? `, and ${n - 5} more` : ''}`,
      hint: 'check that the agent runs and read its log for the failing step; `tickdb run --once --dry-run` shows the pending work',
      ...(oldest === undefined
        ? {}
        : { dataset: oldest.dataset, day: oldest.day, ...(oldest.path === undefined ? {} : { path: oldest.path }) }),
    });
  }
  for (const note of backlog.blocking) {
    problems.push({
      name: 'backlog',
      status: 'WARNING',
      brief: `${note.job} refused`,
      message: note.message,
      hint: 'review with `tickdb purge --dry-run`; fix the clock, or use `tickdb purge --force` if the plan is right',
      ...(note.dataset === undefined ? {} : { dataset: note.dataset }),
      ...(note.day === undefined ? {} : { day: note.day }),
    });
  }
  return outcome('backlog', problems, 'no overdue work', [
    { label: 'backlog_days', value: n, warn: '0', crit: String(CRITICAL_BACKLOG_DAYS), min: 0 },
  ]);
}
