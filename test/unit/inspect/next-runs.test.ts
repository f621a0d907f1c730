import cron from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextRuns } from '../../../src/inspect/next-runs.js';

const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString());

/** node-cron's own answer at a given instant: its getNextRuns reads the (here faked) system clock. */
function nodeCronRuns(pattern: string, from: Date, count: number): string[] {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(from);
  const task = cron.createTask(pattern, () => undefined, { timezone: 'UTC' });
  try {
    return iso(task.getNextRuns(count));
  } finally {
    void task.destroy();
    vi.useRealTimers();
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('nextRuns', () => {
  it('crosses a month boundary', () => {
    expect(iso(nextRuns('0 0 * * *', new Date('2026-01-31T23:59:00Z'), 2))).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-02-02T00:00:00.000Z',
    ]);
    expect(iso(nextRuns('30 2 * * *', new Date('2026-02-28T03:00:00Z'), 1))).toEqual(['2026-03-01T02:30:00.000Z']);
  });

  it('crosses a year boundary', () => {
    expect(iso(nextRuns('30 2 * * *', new Date('2026-12-31T02:30:00Z'), 2))).toEqual([
      '2027-01-01T02:30:00.000Z',
      '2027-01-02T02:30:00.000Z',
    ]);
    expect(iso(nextRuns('0 0 1 1 *', new Date('2026-03-10T12:00:00Z'), 2))).toEqual([
      '2027-01-01T00:00:00.000Z',
      '2028-01-01T00:00:00.000Z',
    ]);
  });

  it("honours the day of week: the older scripts' weekly 0 2 * * 0 runs on Sundays", () => {
    // 2026-03-11 is a Wednesday.
    expect(iso(nextRuns('0 2 * * 0', new Date('2026-03-11T10:00:00Z'), 3))).toEqual([
      '2026-03-15T02:00:00.000Z',
      '2026-03-22T02:00:00.000Z',
      '2026-03-29T02:00:00.000Z',
    ]);
    expect(iso(nextRuns('0 2 * * 7', new Date('2026-03-11T10:00:00Z'), 1))).toEqual(['2026-03-15T02:00:00.000Z']);
    expect(iso(nextRuns('0 9 * * MON-FRI', new Date('2026-03-13T10:00:00Z'), 2))).toEqual([
      '2026-03-16T09:00:00.000Z',
      '2026-03-17T09:00:00.000Z',
    ]);
  });

  it('is strictly after the given instant', () => {
    expect(iso(nextRuns('0 2 * * 0', new Date('2026-03-15T02:00:00Z'), 1))).toEqual(['2026-03-22T02:00:00.000Z']);
    expect(iso(nextRuns('0 * * * *', new Date('2026-03-15T02:00:00.001Z'), 1))).toEqual(['2026-03-15T03:00:00.000Z']);
  });

  it('finds Feb 29 in the next leap year and the last day of a month', () => {
    expect(iso(nextRuns('0 0 29 2 *', new Date('2026-03-01T00:00:00Z'), 1))).toEqual(['2028-02-29T00:00:00.000Z']);
    expect(iso(nextRuns('0 0 L * *', new Date('2026-02-01T00:00:00Z'), 2))).toEqual([
      '2026-02-28T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
    ]);
  });

  it('handles steps, lists and a seconds field', () => {
    expect(iso(nextRuns('*/15 * * * *', new Date('2026-03-10T12:07:00Z'), 3))).toEqual([
      '2026-03-10T12:15:00.000Z',
      '2026-03-10T12:30:00.000Z',
      '2026-03-10T12:45:00.000Z',
    ]);
    expect(iso(nextRuns('*/20 * * * * *', new Date('2026-03-10T12:00:50Z'), 2))).toEqual([
      '2026-03-10T12:01:00.000Z',
      '2026-03-10T12:01:20.000Z',
    ]);
  });

  it('rejects an invalid pattern, naming it', () => {
    expect(() => nextRuns('61 * * * *', new Date(), 1)).toThrow(/invalid cron pattern "61 \* \* \* \*"/);
  });

  const patterns = [
    '0 0 * * *',
    '0 2 * * *',
    '0 2 * * 0',
    '30 2 * * *',
    '0 * * * *',
    '*/7 3-5 * * 1,3',
    '0 0 L * *',
    '0 12 15W * *',
    '0 6 * * 5L',
    '0 6 * * 1#2',
    '0 0 1 */3 *',
    '45 23 31 12 *',
  ];
  const instants = ['2026-03-10T12:00:00Z', '2026-12-31T23:59:59Z', '2028-02-28T02:30:00Z', '2026-06-30T23:00:00Z'];
  it.each(patterns)("agrees with node-cron's own getNextRuns for %s", (pattern) => {
    for (const at of instants) {
      const from = new Date(at);
      expect(iso(nextRuns(pattern, from, 5)), `${pattern} from ${at}`).toEqual(nodeCronRuns(pattern, from, 5));
    }
  });
});
