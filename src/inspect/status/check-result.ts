/**
 * What one health check found. `status` follows Nagios: OK, WARNING, CRITICAL, UNKNOWN (the check itself could
 * not tell, e.g. a filesystem that did not answer). Every problem names what is wrong (day, file) and what to do.
 */
export type CheckStatus = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

export type CheckName =
  | 'today'
  | 'tomorrow'
  | 'rotation'
  | 'agent'
  | 'busy'
  | 'backlog'
  | 'quarantine'
  | 'jobs'
  | 'disk'
  | 'metadata'
  | 'audit'
  | 'wal'
  | 'drill'
  | 'export'
  | 'archive';

/** The order checks are run and printed in. */
export const CHECK_ORDER: readonly CheckName[] = [
  'today',
  'tomorrow',
  'rotation',
  'agent',
  'busy',
  'backlog',
  'quarantine',
  'jobs',
  'disk',
  'metadata',
  'audit',
  'wal',
  'drill',
  'export',
  'archive',
];

export interface CheckResult {
  name: CheckName;
  status: CheckStatus;
  /** One line: what was found, naming the day and the file. */
  message: string;
  /** What an operator can do about it (problems only). */
  hint?: string;
  /** A few words for the Nagios summary line; `message` when absent. */
  brief?: string;
  dataset?: string;
  day?: string;
  path?: string;
}

/** A Nagios performance value: `label=value[uom];warn;crit;min;max`. */
export interface PerfDatum {
  label: string;
  value: number;
  uom?: '' | 's' | '%' | 'B';
  warn?: string;
  crit?: string;
  min?: number;
  max?: number;
}

export interface CheckOutput {
  results: CheckResult[];
  perf?: PerfDatum[];
}

export const EXIT_CODES: Record<CheckStatus, 0 | 1 | 2 | 3> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** Severity for "worst of" (monitoring-plugins' max_state_alt): OK < UNKNOWN < WARNING < CRITICAL. */
const RANK: Record<CheckStatus, number> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };

export function worstStatus(statuses: Iterable<CheckStatus>): CheckStatus {
  let worst: CheckStatus = 'OK';
  for (const s of statuses) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}

export function severityRank(status: CheckStatus): number {
  return RANK[status];
}

/** The problems of a check, or one OK result saying what was checked. */
export function outcome(name: CheckName, problems: CheckResult[], okMessage: string, perf?: PerfDatum[]): CheckOutput {
  const results = problems.length > 0 ? problems : [{ name, status: 'OK' as const, message: okMessage }];
  return perf === undefined ? { results } : { results, perf };
}

/** "3.2 h", "2 d 4 h", "40 min": how long ago, for messages. */
export function formatDuration(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.abs(ms) / 3_600_000;
  if (hours < 48) return `${hours.toFixed(1)} h`;
  const days = Math.floor(hours / 24);
  return `${days} d ${Math.round(hours - days * 24)} h`;
}
