import { checkArchive } from './archive-checks.js';
import { dayOf } from '../../layout/day.js';
import { checkBacklog, computeBacklog } from './backlog.js';
import {
  CHECK_ORDER,
  EXIT_CODES,
  severityRank,
  worstStatus,
  type CheckOutput,
  type CheckResult,
  type CheckStatus,
  type PerfDatum,
} from './check-result.js';
import { checkBusyDays, checkToday, checkTomorrow } from './day-checks.js';
import { checkDiskSpace } from './disk-space.js';
import { checkExport } from './export-checks.js';
import type { StatusFacts } from './facts.js';
import { checkAudit, checkQuarantine } from './integrity-checks.js';
import { checkAgent, checkJobFailures, checkRotation } from './job-checks.js';
import { checkMetadata } from './metadata-checks.js';
import { checkDrill } from './drill-checks.js';
import { checkWal } from './wal-checks.js';

export interface StatusReport {
  status: CheckStatus;
  exitCode: 0 | 1 | 2 | 3;
  /** The Nagios summary line, without the performance data. */
  summary: string;
  /** Nagios performance data (`label=value[uom];warn;crit;min;max ...`). */
  perfdata: string;
  now: string;
  today: string;
  root: string;
  checks: CheckResult[];
}

/** A check that throws does not stop the others: it is UNKNOWN, with the error. */
function guarded(name: CheckResult['name'], run: () => CheckOutput): CheckOutput {
  try {
    return run();
  } catch (err) {
    return {
      results: [
        {
          name,
          status: 'UNKNOWN',
          message: `the ${name} check failed: ${err instanceof Error ? err.message : String(err)}`,
        },
      ],
    };
  }
}

function formatPerf(p: PerfDatum): string {
  const label = /[\s'=]/.test(p.label) ? `'${p.label}'` : p.label;
  const tail = [
    p.warn ?? '',
    p.crit ?? '',
    p.min === undefined ? '' : String(p.min),
    p.max === undefined ? '' : String(p.max),
  ];
  while (tail.length > 0 && tail[tail.length - 1] === '') tail.pop();
  return [`${label}=${p.value}${p.uom ?? ''}`, ...tail].join(';');
}

function summaryLine(status: CheckStatus, checks: readonly CheckResult[]): string {
  const problems = checks.filter((c) => c.status !== 'OK');
  if (problems.length === 0) {
    const agent = checks.find((c) => c.name === 'agent')?.message ?? '';
    const rotation = checks.find((c) => c.name === 'rotation')?.message ?? '';
    return `TICKDB OK - all ${CHECK_ORDER.length} checks passed; ${rotation}; ${agent}`;
  }
  const shown = problems.slice(0, 4).map((p) => `${p.name}: ${p.brief ?? p.message}`);
  const more = problems.length > 4 ? `; and ${problems.length - 4} more` : '';
  return `TICKDB ${status} - ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}`;
}

/** Runs every check on the facts (pure) and folds them into one Nagios verdict: the worst check wins. */
export function buildStatusReport(facts: StatusFacts): StatusReport {
  const backlog = computeBacklog(facts);
  const outputs: CheckOutput[] = [
    guarded('today', () => checkToday(facts)),
    guarded('tomorrow', () => checkTomorrow(facts)),
    guarded('rotation', () => checkRotation(facts)),
    guarded('agent', () => checkAgent(facts, backlog)),
    guarded('busy', () => checkBusyDays(facts)),
    guarded('backlog', () => checkBacklog(backlog)),
    guarded('quarantine', () => checkQuarantine(facts)),
    guarded('jobs', () => checkJobFailures(facts)),
    guarded('disk', () => checkDiskSpace(facts.disk, facts.config)),
    guarded('metadata', () => checkMetadata(facts)),
    guarded('audit', () => checkAudit(facts)),
    guarded('wal', () => checkWal(facts)),
    guarded('drill', () => checkDrill(facts)),
    guarded('export', () => checkExport(facts)),
    guarded('archive', () => checkArchive(facts)),
  ];
  const order = (c: CheckResult): number => CHECK_ORDER.indexOf(c.name);
  const checks = outputs
    .flatMap((o) => o.results)
    .sort((a, b) => severityRank(b.status) - severityRank(a.status) || order(a) - order(b));
  const status = worstStatus(checks.map((c) => c.status));
  return {
    status,
    exitCode: EXIT_CODES[status],
    summary: summaryLine(status, checks),
    perfdata: outputs
      .flatMap((o) => o.perf ?? [])
      .map(formatPerf)
      .join(' '),
    now: facts.now.toISOString(),
    today: dayOf(facts.now),
    root: facts.dirs.root,
    checks,
  };
}

/** The human (and Nagios) output: the summary line with perfdata, then one line per check. */
export function formatStatusText(report: StatusReport): string {
  // Nagios reads everything after a `|` as performance data: keep it out of the text.
  const safe = (text: string): string => text.replaceAll('|', '/');
  const lines = [`${safe(report.summary)}${report.perfdata === '' ? '' : ` | ${report.perfdata}`}`];
  for (const c of report.checks) {
    lines.push(
      safe(`${c.status.padEnd(8)} ${c.name.padEnd(10)} ${c.message}${c.hint === undefined ? '' : `; hint: ${c.hint}`}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The `--json` document: one object, every check with `hint` (null when none) and day/path when known. */
export function statusJson(report: StatusReport): Record<string, unknown> {
  return {
    status: report.status,
    exitCode: report.exitCode,
    summary: report.summary,
    perfdata: report.perfdata,
    now: report.now,
    today: report.today,
    root: report.root,
    checks: report.checks.map((c) => ({
      name: c.name,
      status: c.status,
      message: c.message,
      hint: c.hint ?? null,
      ...(c.dataset === undefined ? {} : { dataset: c.dataset }),
      ...(c.day === undefined ? {} : { day: c.day }),
      ...(c.path === undefined ? {} : { path: c.path }),
    })),
  };
}
