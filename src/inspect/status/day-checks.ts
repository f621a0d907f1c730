import { formatBytes } from '../../format-bytes.js';
import { addDays, dayOf, dayStartMs, type Day } from '../../layout/day.js';
import { dayKey, dayPath } from '../../layout/tiers.js';
import { outcome, type CheckOutput, type CheckResult, type CheckStatus } from './check-result.js';
import type { StatusFacts } from './facts.js';

const MS_PER_DAY = 86_400_000;
const PRECREATE_HINT =
  'the agent creates it at each rotation: check that the agent runs (systemctl status tickdb), or run `tickdb rotate` now';

type DayFacts = Pick<StatusFacts, 'config' | 'dirs' | 'scan' | 'writable' | 'uid'>;

/** Present, owner-writable (mode) and writable by this user (access(2)); `missing` is how bad its absence is. */
function checkLiveDay(
  f: DayFacts,
  name: 'today' | 'tomorrow',
  day: Day,
  missing: CheckStatus | undefined,
  problems: CheckResult[],
  ok: string[],
): void {
  const label = name === 'today' ? "today's" : "tomorrow's";
  for (const dataset of f.config.datasets) {
    const key = dayKey(dataset.prefix, day);
    const path = dayPath(f.dirs, 'db', dataset.prefix, day, 'db');
    const base = { name, dataset: dataset.prefix, day, path } as const;
    const file = f.scan.days.get(key)?.db;
    if (file === undefined) {
      if (missing === undefined) continue;
      problems.push({
        ...base,
        status: missing,
        brief: `${key} missing`,
        message: `${label} database ${key} is missing: ${path}`,
        hint:
          name === 'today'
            ? `${PRECREATE_HINT}; the writer cannot store today's ticks until it exists`
            : PRECREATE_HINT,
      });
      continue;
    }
    if ((file.mode & 0o200) === 0) {
      problems.push({
        ...base,
        status: name === 'today' ? 'CRITICAL' : 'WARNING',
        brief: `${key} read-only`,
        message: `${label} database ${file.path} is read-only (mode 0${file.mode.toString(8)}): the writer cannot write it`,
        hint: `make it writable (chmod u+w ${file.path}) and check fileMode in the config; only past days are sealed read-only`,
      });
      continue;
    }
    const denied = f.writable[file.path];
    // access(2) speaks for the user running status: it counts when that is the owner (or root), or the
    // filesystem itself is read-only. Run as another user (a monitoring agent), the mode check above is what counts.
    if (denied !== undefined && (denied.code === 'EROFS' || f.uid === 0 || f.uid === denied.ownerUid)) {
      problems.push({
        ...base,
        status: name === 'today' ? 'CRITICAL' : 'WARNING',
        brief: `${key} not writable`,
        message: `${label} database ${file.path} cannot be written (${denied.code}${denied.code === 'EROFS' ? ': read-only filesystem' : ''})`,
        hint:
          denied.code === 'EROFS'
            ? 'remount the filesystem read-write'
            : 'check ACLs and attributes (lsattr: immutable) of the file and its directory',
      });
      continue;
    }
    ok.push(
      `${key} (${formatBytes(file.bytes)}${denied === undefined ? '' : `; not writable by uid ${f.uid ?? '?'}, owner uid ${denied.ownerUid}`})`,
    );
  }
}

/** Check 1: today's database of each dataset exists and can be written. CRITICAL when missing. */
export function checkToday(f: DayFacts & Pick<StatusFacts, 'now'>): CheckOutput {
  const problems: CheckResult[] = [];
  const ok: string[] = [];
  checkLiveDay(f, 'today', dayOf(f.now), 'CRITICAL', problems, ok);
  return outcome('today', problems, `today's database present and owner-writable: ${ok.join(', ')}`);
}

/** Check 2: tomorrow's database exists once `tomorrowDueHour` (UTC) has passed. WARNING when missing by then. */
export function checkTomorrow(f: DayFacts & Pick<StatusFacts, 'now'>): CheckOutput {
  const problems: CheckResult[] = [];
  const ok: string[] = [];
  const due = f.now.getUTCHours() >= f.config.tomorrowDueHour;
  const tomorrow = addDays(dayOf(f.now), 1);
  checkLiveDay(f, 'tomorrow', tomorrow, due ? 'WARNING' : undefined, problems, ok);
  const dueAt = `${String(f.config.tomorrowDueHour).padStart(2, '0')}:00 UTC`;
  const okMessage =
    ok.length === f.config.datasets.length
      ? `tomorrow's database present: ${ok.join(', ')}`
      : `tomorrow's database (${tomorrow}) is not due before ${dueAt}${ok.length > 0 ? `; present: ${ok.join(', ')}` : ''}`;
  return outcome('tomorrow', problems, okMessage);
}

/**
 * Check 5: days a writer still held when the seal tried them (DayRecord.busySince) and that are still unsealed.
 * A day is due to be sealed at midnight + grace after it ends; WARNING once busy, CRITICAL when overdue by more
 * than a day.
 */
export function checkBusyDays(f: Pick<StatusFacts, 'now' | 'config' | 'dirs' | 'metadata'>): CheckOutput {
  const problems: CheckResult[] = [];
  const graceMs = f.config.graceMinutes * 60_000;
  for (const rec of Object.values(f.metadata.metadata.days)) {
    if (rec.busySince === undefined || rec.state !== 'live') continue;
    const dueAt = dayStartMs(rec.day) + MS_PER_DAY + graceMs;
    const overdue = f.now.getTime() - dueAt;
    if (overdue <= 0) continue;
    const key = dayKey(rec.dataset, rec.day);
    problems.push({
      name: 'busy',
      status: overdue > MS_PER_DAY ? 'CRITICAL' : 'WARNING',
      dataset: rec.dataset,
      day: rec.day,
      path: dayPath(f.dirs, 'db', rec.dataset, rec.day, 'db'),
      brief: `${key} held by a writer`,
      message: `a writer still holds ${key} since ${rec.busySince}; it was due to be sealed at ${new Date(dueAt).toISOString()} and is not backed up yet`,
      hint: "make the writer close that day's database (restart it if it keeps past days open); the agent retries the seal at each run",
    });
  }
  return outcome('busy', problems, 'no past day held by a writer');
}
