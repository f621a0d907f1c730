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

/** Parses `--now`: an ISO-8601 instant (a date alone means its UTC midnight). */
export function parseNow(text: string): Date {
  const trimmed = text.trim();
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? `${trimmed}T00:00:00Z` : trimmed;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(iso) ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new TickdbError('USAGE', `--now ${JSON.stringify(text)} is not an ISO-8601 instant`, {
      path: '--now',
      hint: 'e.g. --now 2026-03-01T00:20:00Z',
    });
  }
  return new Date(ms);
}
