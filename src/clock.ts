import { TickdbError } from './errors.js';

/**
 * The agent's clock. One-shot commands read it once per run (logrotate's rule); the daemon reads it at each
 * wake-up. `--now` gives a clock offset so that it reads that instant at start and then moves on in real time.
 */
export interface Clock {
  now(): Date;
  /** ms added to the real time (0 for the system clock). */
  readonly offsetMs: number;
}

export function systemClock(): Clock {
  return { now: () => new Date(), offsetMs: 0 };
}

export function offsetClock(startAt: Date, realNow: number = Date.now()): Clock {
  const offsetMs = startAt.getTime() - realNow;
  return { now: () => new Date(Date.now() + offsetMs), offsetMs };
}

/** `YYYY-MM-DD`, optionally `THH:MM[:SS[.fff]]`, optionally a zone (`Z`, `+05:30`, `-0500`). */
const NOW_FORMAT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses `--now`: an ISO-8601 instant. A time without a zone is UTC, as is a date alone (its midnight): never the
 * host's local time, which on a trading host is often the exchange's (ECMAScript reads `2026-03-10T00:20:00` as
 * local time; under TZ=America/New_York that is 04:20Z). A date that does not exist (2026-02-30) is refused
 * rather than rolled over into the next month.
 */
export function parseNow(text: string): Date {
  const trimmed = text.trim();
  const m = NOW_FORMAT.exec(trimmed);
  let ms = Number.NaN;
  if (m !== null) {
    const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone = 'Z'] = m;
    ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${fraction.slice(0, 4)}${zone.toUpperCase()}`);
    const sameDay = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
    if (sameDay.getUTCMonth() !== Number(month) - 1 || sameDay.getUTCDate() !== Number(day)) ms = Number.NaN;
  }
  if (Number.isNaN(ms)) {
    throw new TickdbError('USAGE', `--now ${JSON.stringify(text)} is not an ISO-8601 instant`, {
      path: '--now',
      hint: 'e.g. --now 2026-03-01T00:20:00Z; a time without a zone is read as UTC',
    });
  }
  return new Date(ms);
}
