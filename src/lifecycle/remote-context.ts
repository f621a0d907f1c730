import { TickdbError } from '../errors.js';
import type { ExecContext, RemoteArchive, StepOutcome } from './exec-context.js';

/** The run's S3 archive; throws the bucket check's refusal (credentials, permission) so that the step fails. */
export function remoteOf(ctx: ExecContext): RemoteArchive {
  if (ctx.remote === undefined)
    throw new TickdbError('INTERNAL', 'an S3 step was planned without an S3 archive target');
  if (ctx.remote.refused !== undefined) throw ctx.remote.refused;
  return ctx.remote;
}

/** A day that could not be uploaded because the server is unreachable stays local: a backlog, not a failure. */
export function backlogOutcome(step: { dataset: string; day: string }, err: TickdbError): StepOutcome {
  return { status: 'backlog', message: `${step.dataset}/${step.day} kept in its local tier: ${err.message}` };
}

/** Adds to the S3 archive's counters in the metadata (written with the next metadata write). */
export function countRemote(ctx: ExecContext, uploadedBytes: number, failures: number): void {
  const m = ctx.store.metadata;
  const t = m.remoteTotals ?? { uploadedBytes: 0, uploadFailures: 0 };
  m.remoteTotals = { uploadedBytes: t.uploadedBytes + uploadedBytes, uploadFailures: t.uploadFailures + failures };
}
