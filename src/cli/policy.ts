import { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { describeError, exitCodeFor, isTickdbError } from '../errors.js';
import { buildPolicyView, type PolicyView } from '../inspect/policy-view.js';
import { action, addCommonOptions, printJson, usageError, type CliRuntime } from './context.js';
import { formatTable } from './format.js';

function shown(value: unknown): string {
  if (value === undefined) return '(not set)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

function formatPolicy(view: PolicyView): string {
  const lines: string[] = [];
  lines.push(`config file: ${view.configFile ?? '(none: defaults, environment and flags)'}`);
  lines.push(`now: ${view.now} (UTC)`, '');
  const rows = view.fields.map((f) => {
    if (f.field === 'datasets') return [f.field, `${view.datasets.length} (below)`, f.source];
    if (f.field === 'legalHolds')
      return [f.field, `${view.legalHolds.length}${view.legalHolds.length > 0 ? ' (below)' : ''}`, f.source];
    if (f.effective !== undefined && f.effective !== f.value) {
      return [f.field, `${shown(f.value)} (in use: ${shown(f.effective)}, one per core at most)`, f.source];
    }
    return [f.field, shown(f.value), f.source];
  });
  lines.push(formatTable(['field', 'value', 'source'], rows), '');
  lines.push('tiers:');
  lines.push(
    ...(['db', 'backup', 'archive', 'metricsFile'] as const).map((t) => `  ${t.padEnd(11)} ${view.dirs[t]}`),
    ...(view.remoteArchive === undefined ? [] : [`  ${'s3'.padEnd(11)} ${view.remoteArchive}`]),
    '',
  );
  for (const d of view.datasets) {
    lines.push(`dataset ${d.prefix} (table ${d.tableName}, timestamp column ${d.timestampColumn}):`);
    const t = Object.entries(d.thresholds).map(([name, v]) => [name, String(v.value), v.source]);
    lines.push(indent(formatTable(['threshold', 'value', 'source'], t)), '');
  }
  if (view.legalHolds.length === 0) lines.push('legal holds: none', '');
  else
    lines.push(
      'legal holds (purge is blocked for these days):',
      indent(
        formatTable(
          ['covers', 'reason'],
          view.legalHolds.map((h) => [h.covers, h.reason]),
        ),
      ),
      '',
    );
  lines.push('schedules (UTC; when the agent wakes for each job):');
  lines.push(
    formatTable(
      ['job', 'cron', 'source', 'next runs'],
      view.schedules.map((s) => [s.job, s.cron, s.source, s.nextRuns.join(', ')]),
    ),
  );
  for (const s of view.schedules) if (s.note !== undefined) lines.push(`  ${s.job}: ${s.note}`);
  return `${lines.join('\n')}\n`;
}

/** `policy --check FILE`: the file alone (no environment, no flags), without needing a valid current config. */
function checkFile(runtime: CliRuntime, file: string, json: boolean): number {
  try {
    const loaded = loadConfig({ configFile: file, env: {} });
    if (json) runtime.stdout(`${JSON.stringify({ ok: true, file, resolved: loaded.file }, null, 2)}\n`);
    else runtime.stdout(`${file}: valid\n`);
    return 0;
  } catch (err) {
    runtime.stderr(`tickdb policy: ${file}: ${describeError(err)}\n`);
    if (json) {
      const error = isTickdbError(err) ? err.toJSON() : { code: 'INTERNAL', message: String(err) };
      runtime.stdout(`${JSON.stringify({ ok: false, file, error }, null, 2)}\n`);
    }
    return exitCodeFor(err);
  }
}

export function policyCommand(runtime: CliRuntime): Command {
  const cmd = new Command('policy')
    .description(
      'show the effective policy (each field, its value and where it came from; per-dataset thresholds; legal holds) and the next scheduled runs in UTC',
    )
    .option(
      '--check <file>',
      'validate a config file on its own (environment and flags ignored): prints "FILE: valid" (exit 0) or the error (exit 2)',
    )
    .option('--runs <n>', 'next runs to show per job', '3');
  addCommonOptions(cmd);
  const show = action(runtime, 'policy', async (ctx) => {
    const runs = Number(cmd.opts<{ runs: string }>().runs);
    if (!Number.isInteger(runs) || runs < 1 || runs > 100)
      throw usageError(`--runs ${JSON.stringify(cmd.opts<{ runs: string }>().runs)} must be an integer from 1 to 100`);
    const view = buildPolicyView(ctx.loaded, ctx.dirs, ctx.now, runs);
    if (ctx.json) printJson(ctx, view);
    else ctx.out(formatPolicy(view));
    return 0;
  });
  cmd.action(async (...args: unknown[]) => {
    const opts = cmd.opts<{ check?: string; json?: boolean }>();
    if (opts.check !== undefined) runtime.exitCode = checkFile(runtime, opts.check, opts.json === true);
    else await show(...args);
  });
  return cmd;
}
