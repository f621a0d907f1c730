import { describeError } from '../errors.js';
import { adoptZst } from './adopt-zst.js';
import { archiveDay } from './archive-day.js';
import { compressDay } from './compress-day.js';
import type { ExecContext, StepOutcome } from './exec-context.js';
import { precreateDay } from './precreate-day.js';
import { purgeBackup, purgeDay } from './purge-day.js';
import { objectLockDay } from './object-lock-day.js';
import { purgeRemote } from './purge-remote.js';
import { uploadDay } from './upload-day.js';
import { cleanupTmp, finishPending, quarantineStep } from './recover.js';
import { backupDay, sealDay } from './seal-day.js';
import { stepKey, type Step } from './step-types.js';

export interface StepResult {
  step: Step;
  outcome: StepOutcome;
}

function runStep(step: Step, ctx: ExecContext): Promise<StepOutcome> {
  switch (step.kind) {
    case 'cleanup-tmp':
      return cleanupTmp(step, ctx);
    case 'finish-pending':
      return finishPending(step, ctx);
    case 'quarantine':
      return quarantineStep(step, ctx);
    case 'precreate':
      return precreateDay(step, ctx);
    case 'seal':
      return sealDay(step, ctx);
    case 'backup':
      return backupDay(step, ctx);
    case 'adopt-zst':
      return adoptZst(step, ctx);
    case 'compress':
      return compressDay(step, ctx);
    case 'archive':
      return archiveDay(step, ctx);
    case 'purge':
      return purgeDay(step, ctx);
    case 'purge-backup':
      return purgeBackup(step, ctx);
    case 'upload':
      return uploadDay(step, ctx);
    case 'purge-remote':
      return purgeRemote(step, ctx);
    case 'object-lock':
      return objectLockDay(step, ctx);
  }
}

/** Why a step runs before its age asks for it, for its description. */
function earlyText(early: string | undefined): string {
  return early === undefined ? '' : ` (early: ${early})`;
}

/** One line describing a step, for dry runs and logs. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'cleanup-tmp':
      return `remove leftover ${step.path}`;
    case 'finish-pending':
      return `finish interrupted move of ${step.source} (successor ${step.successor || 'none'})`;
    case 'quarantine':
      return `quarantine ${step.dataset}/${step.day}: ${step.reason}`;
    case 'precreate':
      return step.exists === true ? `record ${step.path} (already there) as live` : `create ${step.path}`;
    case 'seal':
      return `seal ${step.path}`;
    case 'backup':
      return `back up ${step.source} -> ${step.dest}${step.reason === 'mismatch' ? ' (replacing a copy that does not match)' : ''}`;
    case 'adopt-zst':
      return `verify and adopt ${step.path}`;
    case 'compress':
      return `compress ${step.source} -> ${step.dest} (level ${step.level})${earlyText(step.early)}`;
    case 'archive':
      return `archive ${step.source} -> ${step.dest}${earlyText(step.early)}`;
    case 'purge':
      return `purge ${step.dataset}/${step.day}: delete ${step.paths.join(', ')} (${step.reason})`;
    case 'purge-backup':
      return `delete backup ${step.path} (${step.reason})`;
    case 'upload':
      return `upload ${step.source} to the S3 archive, verify it, then remove the local copy unless kept`;
    case 'object-lock':
      return `object lock of S3 object ${step.key} version ${step.versionId}: ${step.reason}`;
    case 'purge-remote':
      return `purge ${step.dataset}/${step.day}: delete S3 object ${step.key} version ${step.versionId}${step.retainUntil ? ` (retained until ${step.retainUntil})` : ''} (${step.reason})`;
  }
}

/**
 * Carries out a plan in order. The dry-run guard is here, at the point of mutation. A day whose step did not
 * complete (busy, quarantined, failed) gets no later step this run; other days go on (logrotate's rc |= ...).
 * An abort (SIGTERM) stops before the next step; the step under way is left to reach its safe point.
 */
export async function executePlan(steps: readonly Step[], ctx: ExecContext, dryRun: boolean): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const stopped = new Map<string, StepOutcome['status']>();
  for (const step of steps) {
    const key = stepKey(step);
    const path = 'path' in step ? step.path : 'source' in step ? step.source : undefined;
    const log = ctx.logger.child({
      job: step.job,
      step: step.kind,
      ...(key !== undefined ? { day: key } : {}),
      ...(path !== undefined ? { path } : {}),
    });
    if (dryRun) {
      results.push({ step, outcome: { status: 'planned', message: describeStep(step) } });
      continue;
    }
    if (ctx.signal?.aborted === true) {
      results.push({
        step,
        outcome: { status: 'not-started', message: `not started (stopping): ${describeStep(step)}` },
      });
      continue;
    }
    if (key !== undefined && stopped.has(key)) {
      // A purge waiting for its retention date keeps the day's local copy too, quietly (it was reported once).
      const status = stopped.get(key) === 'deferred' ? 'deferred' : 'skipped';
      results.push({ step, outcome: { status, message: `skipped: an earlier step for ${key} did not complete` } });
      continue;
    }
    let outcome: StepOutcome;
    log.debug('step started'); // with the step's own line at its end: where a crash or a slow step was (--log-level debug)
    try {
      outcome = await runStep(step, ctx);
    } catch (err) {
      outcome = { status: 'failed', message: describeError(err) };
    }
    if (outcome.status !== 'done' && key !== undefined) stopped.set(key, outcome.status);
    const level =
      outcome.status === 'failed' || outcome.status === 'quarantined'
        ? 'error'
        : outcome.status === 'busy' || outcome.status === 'backlog'
          ? 'warn'
          : outcome.status === 'deferred'
            ? 'debug'
            : 'info';
    log[level]({ status: outcome.status }, outcome.message);
    results.push({ step, outcome });
  }
  return results;
}
