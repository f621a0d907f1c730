import { hostname } from 'node:os';
import { LIFECYCLE_JOBS } from '../../lifecycle/step-types.js';
import type { Backlog } from './backlog.js';
import { formatDuration, outcome, type CheckOutput, type CheckResult } from './check-result.js';
import type { StatusFacts } from './facts.js';

const HOUR_MS = 3_600_000;
/** One daily rotation plus an hour for it to run. */
export const ROTATION_WARN_MS = 25 * HOUR_MS;
/** Two daily rotations missed. */
export const ROTATION_CRIT_MS = 49 * HOUR_MS;
/** A last success further in the future than this means the clock (or --now) went back. */
const CLOCK_TOLERANCE_MS = 5 * 60_000;
const START_HINT = 'start the agent (systemctl start tickdb, or the Windows service), or run `tickdb run --once`';

/**
 * Check 3: the last successful rotation (metadata.jobs.rotate.lastSuccessAt). The rotation runs daily at midnight +
 * grace, so a healthy agent's last success is never more than 24 h old plus the run's own duration: older than
 * 25 h is WARNING (the last rotation was missed), older than 49 h CRITICAL (two were missed). This holds whatever
 * the hour of the schedule and the grace. No rotation ever recorded on a tree that has days is WARNING.
 */
export function checkRotation(f: Pick<StatusFacts, 'now' | 'scan' | 'metadata'>): CheckOutput {
  if (!f.metadata.found && f.scan.days.size > 0) {
    return {
      results: [
        {
          name: 'rotation',
          status: 'UNKNOWN',
          brief: 'unknown (no usable metadata)',
          message: 'the last rotation is unknown: no usable metadata (see the metadata check)',
        },
      ],
    };
  }
  const rotate = f.metadata.metadata.jobs.rotate;
  const last = rotate?.lastSuccessAt;
  if (last === undefined) {
    if (f.scan.days.size === 0) return outcome('rotation', [], 'no rotation yet (the tree has no days)');
    const failed = rotate?.ok === false;
    return outcome(
      'rotation',
      [
        {
          name: 'rotation',
          status: 'WARNING',
          brief: failed ? 'never succeeded' : 'never rotated',
          message: failed
            ? `no rotation has ever succeeded (last attempt ${rotate.finishedAt})`
            : 'never rotated: no rotation is recorded for this tree',
          hint: START_HINT,
        },
      ],
      '',
    );
  }
  const ageMs = f.now.getTime() - Date.parse(last);
  const perf = [
    {
      label: 'rotation_age',
      value: Math.max(0, Math.round(ageMs / 1000)),
      uom: 's' as const,
      warn: String(ROTATION_WARN_MS / 1000),
      crit: String(ROTATION_CRIT_MS / 1000),
      min: 0,
    },
  ];
  if (ageMs < -CLOCK_TOLERANCE_MS) {
    return outcome(
      'rotation',
      [
        {
          name: 'rotation',
          status: 'WARNING',
          brief: 'last success in the future',
          message: `the last successful rotation (${last}) is ${formatDuration(ageMs)} in the future of ${f.now.toISOString()}`,
          hint: 'the clock went back (check NTP) or --now is wrong; day decisions use this clock',
        },
      ],
      '',
      perf,
    );
  }
  if (ageMs > ROTATION_WARN_MS) {
    const crit = ageMs > ROTATION_CRIT_MS;
    return outcome(
      'rotation',
      [
        {
          name: 'rotation',
          status: crit ? 'CRITICAL' : 'WARNING',
          brief: `last success ${formatDuration(ageMs)} ago`,
          message: `the last successful rotation was ${formatDuration(ageMs)} ago (${last}), more than ${crit ? 49 : 25} h: past days are not being sealed and backed up`,
          hint: `${START_HINT}; the agent's log says why rotations stop`,
        },
      ],
      '',
      perf,
    );
  }
  return outcome('rotation', [], `last rotation succeeded ${formatDuration(ageMs)} ago (${last})`, perf);
}

function holderText(f: Pick<StatusFacts, 'lock'>): string {
  const lock = f.lock;
  if (lock === undefined) return 'no db/tickdb.lock';
  const who = `pid ${lock.info.pid}${lock.info.host === hostname() ? '' : ` on ${lock.info.host}`}, \`${lock.info.command}\` since ${lock.info.startedAt}`;
  return lock.live ? `db/tickdb.lock is held by ${who}` : `db/tickdb.lock is stale (${who}, no longer running)`;
}

/**
 * Check 4: the agent (`tickdb run`) holds `db/tickdb.lock` and is alive. Not running is WARNING, CRITICAL once
 * work is overdue (a non-empty backlog): then nothing will catch up by itself.
 */
export function checkAgent(f: Pick<StatusFacts, 'lock'>, backlog: Backlog): CheckOutput {
  const lock = f.lock;
  if (lock?.live && lock.info.command === 'run') {
    return outcome('agent', [], `agent running: ${holderText(f)}`);
  }
  const overdue = backlog.overdue.length;
  return outcome(
    'agent',
    [
      {
        name: 'agent',
        status: overdue > 0 ? 'CRITICAL' : 'WARNING',
        brief: overdue > 0 ? `not running, ${overdue} day${overdue === 1 ? '' : 's'} overdue` : 'not running',
        message: `the agent is not running (${holderText(f)})${overdue > 0 ? ` and ${overdue} day${overdue === 1 ? ' is' : 's are'} overdue` : ''}`,
        hint: START_HINT,
      },
    ],
    '',
  );
}

/** Check 8: the last run of each job failed (metadata.jobs[job].ok === false): WARNING, CRITICAL for rotate. */
export function checkJobFailures(f: Pick<StatusFacts, 'metadata' | 'scan'>): CheckOutput {
  if (!f.metadata.found && f.scan.days.size > 0) {
    return {
      results: [
        {
          name: 'jobs',
          status: 'UNKNOWN',
          brief: 'unknown (no usable metadata)',
          message: 'the outcomes of the last jobs are unknown: no usable metadata (see the metadata check)',
        },
      ],
    };
  }
  const problems: CheckResult[] = [];
  const seen: string[] = [];
  for (const job of LIFECYCLE_JOBS) {
    const o = f.metadata.metadata.jobs[job];
    if (o === undefined) continue;
    seen.push(`${job} ${o.ok ? 'ok' : 'failed'}`);
    if (o.ok) continue;
    const errors =
      o.errors.length === 0
        ? 'no error recorded'
        : `${o.errors.slice(0, 3).join('; ')}${o.errors.length > 3 ? `; and ${o.errors.length - 3} more` : ''}`;
    problems.push({
      name: 'jobs',
      status: job === 'rotate' ? 'CRITICAL' : 'WARNING',
      brief: `last ${job} failed`,
      message: `the last ${job} run (finished ${o.finishedAt}) failed: ${errors}`,
      hint: `see the agent's log for details; the agent retries at its next ${job} run (or, with the agent stopped, \`tickdb ${job}\`)`,
    });
  }
  return outcome('jobs', problems, seen.length === 0 ? 'no job has run yet' : `last runs: ${seen.join(', ')}`);
}
