import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseNow } from '../../src/clock.js';

/**
 * Issue 15 item 3: `--now` without a zone is UTC whatever the host's zone (trading hosts often run in the exchange's
 * local time). Node re-reads process.env.TZ when it is assigned, so the zone is changed in process.
 */
describe('parseNow', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.TZ;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });

  it.each(['America/New_York', 'Asia/Kolkata', 'UTC'])('reads a time without a zone as UTC under TZ=%s', (tz) => {
    process.env.TZ = tz;
    expect(new Date(2026, 2, 10).getTimezoneOffset()).toBe(
      { 'America/New_York': 240, 'Asia/Kolkata': -330, UTC: 0 }[tz],
    );
    expect(parseNow('2026-03-10T00:20:00').toISOString()).toBe('2026-03-10T00:20:00.000Z');
    expect(parseNow('2026-03-10T00:20').toISOString()).toBe('2026-03-10T00:20:00.000Z');
    expect(parseNow('2026-03-10T23:59:59.250').toISOString()).toBe('2026-03-10T23:59:59.250Z');
    expect(parseNow('2026-03-10').toISOString()).toBe('2026-03-10T00:00:00.000Z');
  });

  it('honours an explicit zone', () => {
    process.env.TZ = 'America/New_York';
    expect(parseNow('2026-03-10T00:20:00Z').toISOString()).toBe('2026-03-10T00:20:00.000Z');
    expect(parseNow('2026-03-10T05:50:00+05:30').toISOString()).toBe('2026-03-10T00:20:00.000Z');
    expect(parseNow('2026-03-09T19:20:00-05:00').toISOString()).toBe('2026-03-10T00:20:00.000Z');
  });

  it.each([
    'yesterday',
    '2026-03-10 00:20:00',
    '2026-3-10',
    '2026-02-30T00:00:00Z',
    '2026-03-10T24:30:00Z',
    '2026-03-10T00:20:00 EST',
    '1773102000',
  ])('refuses %j as a usage error naming --now', (text) => {
    expect(() => parseNow(text)).toThrow(expect.objectContaining({ code: 'USAGE', path: '--now' }));
  });
});
