import { loadConfig } from '../config/load.js';
import type { LegalHold } from '../config/schema.js';
import { runJobs, type JobsReport } from '../lifecycle/run-jobs.js';
import type { LifecycleJob } from '../lifecycle/step-types.js';
import { printJson, type CommandContext } from './context.js';
import { formatBytes } from '../format-bytes.js';
import { formatTable } from './format.js';
import { progressReporter } from './progress.js';

/** Re-reads the legal holds from the config file as it is now (DESIGN 3b: before each purge). */
export function holdsReader(ctx: CommandContext): () => readonly LegalHold[] {
  return () => loadConfig({ configFile: ctx.loaded.file, flags: { root: ctx.config.root } }).config.legalHolds;
}

export function printJobsReport(ctx: CommandContext, report: JobsReport): void {
  if (ctx.json) {
    printJson(ctx, report);
    return;
  }
  const rows = report.results.map((r) => {
    const day = 'day' in r.step ? `${r.step.dataset}/${r.step.day}` : '';
    const size = 'bytes' in r.step ? formatBytes(r.step.bytes) : '';
    return [r.step.job, r.step.kind, day, size, r.outcome.status, r.outcome.message];
  });
  if (rows.length > 0) ctx.out(`${formatTable(['job', 'step', 'day', 'size', 'status', 'detail'], rows)}\n`);
  for (const n of report.notes) {
    ctx.out(`${n.blocking ? (n.kind === 'anomaly' ? 'PROBLEM' : 'REFUSED') : 'note'}: ${n.message}\n`);
  }
  const failed = report.results.filter(
    (r) => r.outcome.status === 'failed' || r.outcome.status === 'quarantined',
  ).length;
  const busy = report.results.filter((r) => r.outcome.status === 'busy').length;
  const verb = report.dryRun ? 'planned (dry run, nothing changed)' : 'steps';
  ctx.out(
    `${report.results.length} ${verb}; ${failed} failed or quarantined; ${busy} busy; today is ${report.today} (UTC)\n`,
  );
  if (report.metadataKeptAside)
    ctx.out(`metadata in an unusable format was kept aside as ${report.metadataKeptAside} and rebuilt\n`);
}

/** Runs lifecycle jobs for a one-shot command and prints the report; exit 0 when every job succeeded. */
export async function runJobsCommand(
  ctx: CommandContext,
  jobs: readonly LifecycleJob[],
  force: boolean,
): Promise<number> {
  const progress = progressReporter(jobs.join('+'));
  const report = await runJobs(ctx, {
    jobs,
    dryRun: ctx.dryRun,
    force,
    currentHolds: holdsReader(ctx),
    onProgress: (t) => progress.update(t),
  });
  progress.done();
  printJobsReport(ctx, report);
  return report.ok ? 0 : 1;
}
