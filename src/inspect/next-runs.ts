import cron from 'node-cron';

/**
 * When a cron schedule fires next, in UTC, after a given instant (`--now`), with node-cron 4's semantics: every
 * field must match (day-of-month AND day-of-week), `L`, `nW`, `LW`, `L-n` in the day of month, `nL` and `n#k`
 * in the day of week, an optional seconds field. node-cron's own `getNextRuns` reads the real clock, which a
 * rehearsal with `--now` must not.
 */
export type CronFields = ReturnType<typeof cron.parse>;

/** Days searched before giving up (a pattern such as `0 0 31 2 *` never fires; node-cron rejects most of them). */
const HORIZON_DAYS = 366 * 8;
const MS_PER_DAY = 86_400_000;

function lastDayOfMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The weekday (Mon-Fri) nearest to `target` within its month, as cron's `W` means; -1 when out of range. */
function nearestWeekday(year: number, month: number, target: number): number {
  const last = lastDayOfMonth(year, month);
  if (target < 1 || target > last) return -1;
  const weekday = weekdayOf(year, month, target);
  if (weekday === 6) return target === 1 ? target + 2 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function matchesDayOfMonth(field: CronFields['dayOfMonth'], year: number, month: number, day: number): boolean {
  const last = lastDayOfMonth(year, month);
  return field.some((value) => {
    if (typeof value === 'number') return value === day;
    if (value === 'L') return day === last;
    const w = /^(\d{1,2}|L)W$/.exec(value);
    if (w !== null) return nearestWeekday(year, month, w[1] === 'L' ? last : Number(w[1])) === day;
    const offset = /^L-(\d{1,2})$/.exec(value);
    if (offset !== null) return day === last - Number(offset[1]);
    return false;
  });
}

function matchesDayOfWeek(field: CronFields['dayOfWeek'], year: number, month: number, day: number): boolean {
  const weekday = weekdayOf(year, month, day);
  return field.some((value) => {
    if (typeof value === 'number') return value % 7 === weekday;
    const nth = /^([0-7])#([1-5])$/.exec(value);
    if (nth !== null) return Number(nth[1]) % 7 === weekday && Math.floor((day - 1) / 7) + 1 === Number(nth[2]);
    const lastOf = /^([0-7])L$/i.exec(value);
    if (lastOf !== null) return Number(lastOf[1]) % 7 === weekday && day + 7 > lastDayOfMonth(year, month);
    return false;
  });
}

const ascending = (values: readonly number[]): number[] => [...new Set(values)].sort((a, b) => a - b);

/**
 * The next `count` instants strictly after `from` at which `pattern` fires, in UTC. Walks day by day from the
 * UTC date of `from`, and within a matching day over the parsed hours, minutes and seconds in order. Throws
 * node-cron's error for an invalid pattern. Returns fewer than `count` only for a pattern that never fires.
 */
export function nextRuns(pattern: string, from: Date, count: number): Date[] {
  const fields = cron.parse(pattern);
  const seconds = ascending(fields.second);
  const minutes = ascending(fields.minute);
  const hours = ascending(fields.hour);
  const months = new Set(fields.month);
  const out: Date[] = [];
  const fromMs = from.getTime();
  const firstDay = Math.floor(fromMs / MS_PER_DAY) * MS_PER_DAY;
  for (let d = 0; d < HORIZON_DAYS && out.length < count; d++) {
    const dayStart = new Date(firstDay + d * MS_PER_DAY);
    const [year, month, day] = [dayStart.getUTCFullYear(), dayStart.getUTCMonth() + 1, dayStart.getUTCDate()];
    if (!months.has(month) || !matchesDayOfMonth(fields.dayOfMonth, year, month, day)) continue;
    if (!matchesDayOfWeek(fields.dayOfWeek, year, month, day)) continue;
    for (const h of hours) {
      for (const m of minutes) {
        for (const s of seconds) {
          const at = dayStart.getTime() + ((h * 60 + m) * 60 + s) * 1000;
          if (at <= fromMs) continue;
          out.push(new Date(at));
          if (out.length === count) return out;
        }
      }
    }
  }
  return out;
}
