import { addDays, dayStartMs, type Day } from '../layout/day.js';
import { faultNumber } from '../fault.js';

/**
 * Retain-until of a day's object: the start (00:00 UTC) of its purge date, day + purgeAfterDays, and never
 * earlier than minimumRetentionDays allows. The purge runs on or after that date, once retention has passed.
 */
export function retainUntilFor(day: Day, purgeAfterDays: number, minimumRetentionDays: number): Date {
  return new Date(dayStartMs(addDays(day, Math.max(purgeAfterDays, minimumRetentionDays))));
}

/**
 * `TICKDB_FAULT=s3-retention-seconds:N`, for tests only: objects are written with a retention of N seconds from
 * the real clock (the server counts retention on its own clock, and whole days cannot pass in a test), and
 * retention is then left as it is. Never set on a production host.
 */
export function testRetentionOverride(): Date | undefined {
  const seconds = faultNumber('s3-retention-seconds');
  return seconds === undefined ? undefined : new Date(Date.now() + seconds * 1000);
}
