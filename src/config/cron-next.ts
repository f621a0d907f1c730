import { parse, validate } from 'node-cron';
import { TickdbError } from '../errors.js';

/**
 * A cron pattern as node-cron parses it (5 fields, or 6 with seconds first; names such as `mon-fri` and the
 * `L`, `W`, `L-n`, `d#n`, `dL` tokens are allowed), evaluated in UTC.
 *
 * node-cron does the parsing and validation, so a pattern means here what it means in node-cron (and what
 * `policy` and the config check accept). Its timers are not used: they run on the real clock and never run a
 * missed slot, while the agent must follow the offset clock of `run --now` and be testable with a fake clock.
 */
export interface CronPattern {
  pattern: string;
  seconds: readonly number[];
  minutes: readonly number[];
  hours: readonly number[];
  daysOfMonth: readonly (number | string)[];
  months: ReadonlySet<number>;
  daysOfWeek: readonly (number | string)[];
}

const DAY_MS = 86_400_000;
/** Far enough for any valid pattern (29 February on a given weekday recurs within 28 years). */
const MAX_DAYS_AHEAD = 366 * 100;

export function parseCron(pattern: string): CronPattern {
  let fields;
  try {
    if (!validate(pattern)) throw new Error('not a valid cron expression');
    fields = parse(pattern);
  } catch (err) {
    throw new TickdbError(
      'CONFIG',
      `invalid cron pattern ${JSON.stringify(pattern)}: ${err instanceof Error ? err.message : String(err)}`,
      {
        hint: 'five fields (minute hour day-of-month month day-of-week), or six with seconds first; times are UTC',
      },
    );
  }
  const asc = (xs: readonly number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);
  return {
    pattern,
    seconds: asc(fields.second),
    minutes: asc(fields.minute),
    hours: asc(fields.hour),
    daysOfMonth: fields.dayOfMonth,
    months: new Set(fields.month),
    daysOfWeek: fields.dayOfWeek,
  };
}

function lastDayOfMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The weekday (Mon-Fri) nearest to `target` within its month, as `15W` means. */
function nearestWeekday(year: number, month: number, target: number): number {
  const last = lastDayOfMonth(year, month);
  if (target < 1 || target > last) return -1;
  const wd = weekdayOf(year, month, target);
  if (wd === 6) return target === 1 ? 3 : target - 1;
  if (wd === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function matchesDayOfMonth(field: readonly (number | string)[], year: number, month: number, day: number): boolean {
  const last = lastDayOfMonth(year, month);
  return field.some((v) => {
    if (typeof v === 'number') return v === day;
    if (v === 'L') return day === last;
    const w = /^(\d{1,2}|L)W$/i.exec(v);
    if (w !== null) return nearestWeekday(year, month, w[1] === 'L' ? last : Number(w[1])) === day;
    const off = /^L-(\d{1,2})$/i.exec(v);
    if (off !== null) return last - Number(off[1]) === day;
    return false;
  });
}

function matchesDayOfWeek(field: readonly (number | string)[], year: number, month: number, day: number): boolean {
  const wd = weekdayOf(year, month, day);
  return field.some((v) => {
    if (typeof v === 'number') return v % 7 === wd;
    const nth = /^([0-7])#([1-5])$/.exec(v);
    if (nth !== null) return Number(nth[1]) % 7 === wd && Math.floor((day - 1) / 7) + 1 === Number(nth[2]);
    const lastOf = /^([0-7])L$/i.exec(v);
    if (lastOf !== null) return Number(lastOf[1]) % 7 === wd && day + 7 > lastDayOfMonth(year, month);
    return false;
  });
}

/** Whether the pattern runs on that UTC day (month, day of month AND day of week, as node-cron matches them). */
export function runsOnDay(p: CronPattern, year: number, month: number, day: number): boolean {
  return (
    p.months.has(month) &&
    matchesDayOfMonth(p.daysOfMonth, year, month, day) &&
    matchesDayOfWeek(p.daysOfWeek, year, month, day)
  );
}

/** First second of the day at or after `fromSecond` (seconds since UTC midnight) that the pattern names. */
function firstTimeOfDay(p: CronPattern, fromSecond: number): number | undefined {
  for (const h of p.hours) {
    if ((h + 1) * 3600 <= fromSecond) continue;
    for (const m of p.minutes) {
      if (h * 3600 + (m + 1) * 60 <= fromSecond) continue;
      for (const s of p.seconds) {
        const t = h * 3600 + m * 60 + s;
        if (t >= fromSecond) return t;
      }
    }
  }
  return undefined;
}

/**
 * The first instant strictly after `after` at which the pattern fires, in UTC. Pure: walks the days forward from
 * `after` and, on the first day the pattern runs, the parsed hour/minute/second lists.
 */
export function nextRun(pattern: CronPattern | string, after: Date): Date {
  const p = typeof pattern === 'string' ? parseCron(pattern) : pattern;
  const fromMs = Math.floor(after.getTime() / 1000) * 1000 + 1000;
  let dayStart = Math.floor(fromMs / DAY_MS) * DAY_MS;
  let fromSecond = (fromMs - dayStart) / 1000;
  for (let i = 0; i < MAX_DAYS_AHEAD; i++) {
    const d = new Date(dayStart);
    if (runsOnDay(p, d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())) {
      const t = firstTimeOfDay(p, fromSecond);
      if (t !== undefined) return new Date(dayStart + t * 1000);
    }
    dayStart += DAY_MS;
    fromSecond = 0;
  }
  throw new TickdbError('CONFIG', `cron pattern ${JSON.stringify(p.pattern)} never fires`, {
    hint: 'check its day of month, month and day of week',
  });
}
