/**
 * A day is a UTC calendar date written `YYYY-MM-DD`. All date decisions use the day in a file name, never a
 * file's mtime, and "today" is the UTC date of the one clock reading taken per run.
 */
export type Day = string;

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** Parses `YYYY-MM-DD`; undefined when malformed or impossible (2026-02-30, 2025-02-29, month 13). */
export function parseDay(text: string): Day | undefined {
  const m = DAY_RE.exec(text);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return undefined;
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return text;
}

/** The UTC day of an instant. */
export function dayOf(instant: Date): Day {
  return instant.toISOString().slice(0, 10);
}

/** Midnight UTC at the start of a day, in ms since the epoch. */
export function dayStartMs(day: Day): number {
  return Date.parse(`${day}T00:00:00.000Z`);
}

export function addDays(day: Day, n: number): Day {
  return dayOf(new Date(dayStartMs(day) + n * MS_PER_DAY));
}

/** Age of a day relative to today: today = 0, yesterday = 1, tomorrow = -1. */
export function ageOf(day: Day, today: Day): number {
  return Math.round((dayStartMs(today) - dayStartMs(day)) / MS_PER_DAY);
}

/** Days from `first` to `last` inclusive, ascending. */
export function dayRange(first: Day, last: Day): Day[] {
  const out: Day[] = [];
  for (let d = first; d <= last; d = addDays(d, 1)) out.push(d);
  return out;
}

export function yearMonth(day: Day): { year: string; month: string } {
  return { year: day.slice(0, 4), month: day.slice(5, 7) };
}
