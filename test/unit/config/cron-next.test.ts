import cron from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextRun, parseCron } from '../../../src/config/cron-next.js';

const next = (pattern: string, after: string): string => nextRun(pattern, new Date(after)).toISOString();

describe('nextRun (UTC)', () => {
  it('gives the defaults their next slot, strictly after the instant', () => {
    expect(next('0 0 * * *', '2026-03-10T13:00:00Z')).toBe('2026-03-11T00:00:00.000Z');
    expect(next('0 2 * * *', '2026-03-10T01:59:59.999Z')).toBe('2026-03-10T02:00:00.000Z');
    expect(next('0 2 * * *', '2026-03-10T02:00:00.000Z')).toBe('2026-03-11T02:00:00.000Z');
    expect(next('0 2 * * *', '2026-03-10T02:00:00.400Z')).toBe('2026-03-11T02:00:00.000Z');
    expect(next('30 2 * * *', '2026-03-10T02:00:00Z')).toBe('2026-03-10T02:30:00.000Z');
    expect(next('0 * * * *', '2026-03-10T13:00:00Z')).toBe('2026-03-10T14:00:00.000Z');
    expect(next('0 * * * *', '2026-03-10T23:30:00Z')).toBe('2026-03-11T00:00:00.000Z');
  });

  it('crosses month and year boundaries', () => {
    expect(next('0 0 * * *', '2026-01-31T12:00:00Z')).toBe('2026-02-01T00:00:00.000Z');
    expect(next('30 2 * * *', '2026-12-31T02:30:00Z')).toBe('2027-01-01T02:30:00.000Z');
    expect(next('59 23 * * *', '2026-12-31T23:59:00Z')).toBe('2027-01-01T23:59:00.000Z');
    expect(next('0 0 1 * *', '2026-12-15T00:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('0 0 31 * *', '2026-04-01T00:00:00Z')).toBe('2026-05-31T00:00:00.000Z'); // April has 30 days
    expect(next('0 0 29 2 *', '2026-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z'); // next leap year
  });

  it('honours the day of week (0 and 7 are Sunday; names; ranges)', () => {
    // 2026-03-10 is a Tuesday; the older scripts' weekly compress is Sunday 02:00.
    expect(next('0 2 * * 0', '2026-03-10T13:00:00Z')).toBe('2026-03-15T02:00:00.000Z');
    expect(next('0 2 * * 7', '2026-03-10T13:00:00Z')).toBe('2026-03-15T02:00:00.000Z');
    expect(next('0 2 * * sun', '2026-03-15T02:00:00Z')).toBe('2026-03-22T02:00:00.000Z');
    expect(next('0 9 * * mon-fri', '2026-03-13T10:00:00Z')).toBe('2026-03-16T09:00:00.000Z'); // Fri -> Mon
    expect(next('0 2 * * 0', '2026-12-28T00:00:00Z')).toBe('2027-01-03T02:00:00.000Z'); // across the year
  });

  it('matches day of month AND day of week, as node-cron does', () => {
    // Friday the 13th: 2026-02-13, then 2026-03-13.
    expect(next('0 0 13 * 5', '2026-01-01T00:00:00Z')).toBe('2026-02-13T00:00:00.000Z');
    expect(next('0 0 13 * 5', '2026-02-13T00:00:00Z')).toBe('2026-03-13T00:00:00.000Z');
  });

  it('knows the L, W, L-n, d#n and dL tokens', () => {
    expect(next('0 0 L * *', '2026-02-01T00:00:00Z')).toBe('2026-02-28T00:00:00.000Z');
    expect(next('0 0 L * *', '2028-02-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('0 0 L-1 * *', '2026-04-01T00:00:00Z')).toBe('2026-04-29T00:00:00.000Z');
    expect(next('0 0 15W * *', '2026-03-01T00:00:00Z')).toBe('2026-03-16T00:00:00.000Z'); // 15th is a Sunday
    expect(next('0 0 * * 1#2', '2026-03-01T00:00:00Z')).toBe('2026-03-09T00:00:00.000Z'); // second Monday
    expect(next('0 0 * * 5L', '2026-03-01T00:00:00Z')).toBe('2026-03-27T00:00:00.000Z'); // last Friday
  });

  it('takes six-field patterns with seconds', () => {
    expect(next('*/10 * * * * *', '2026-03-10T13:00:05Z')).toBe('2026-03-10T13:00:10.000Z');
    expect(next('*/10 * * * * *', '2026-03-10T23:59:55Z')).toBe('2026-03-11T00:00:00.000Z');
  });

  it('rejects what node-cron rejects, as a CONFIG error naming the pattern', () => {
    for (const bad of ['61 * * * *', '0 0 31 2 *', '* * *', 'every day']) {
      expect(() => parseCron(bad)).toThrow(
        expect.objectContaining({ code: 'CONFIG', message: expect.stringContaining(bad) }),
      );
    }
  });
});

describe('nextRun agrees with node-cron', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const patterns = [
    '0 0 * * *',
    '0 2 * * *',
    '30 2 * * *',
    '0 * * * *',
    '0 2 * * 0',
    '*/15 1-3 * * *',
    '5 4 1,15 * *',
    '0 0 L * *',
    '0 12 * * 1#2',
    '0 0 * * 5L',
    '0 6 15W * *',
    '0 0 29 2 *',
    '0 0 1 jan,jul *',
    '30 */6 * * mon-fri',
  ];

  it('gives the same five next slots from many instants (node-cron computes them from a faked Date)', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const from = Date.parse('2024-01-01T00:00:00Z');
    const span = Date.parse('2031-01-01T00:00:00Z') - from;
    vi.useFakeTimers({ toFake: ['Date'] });
    for (const pattern of patterns) {
      const task = cron.createTask(pattern, () => undefined, { timezone: 'UTC' });
      try {
        for (let i = 0; i < 15; i++) {
          const after = new Date(from + Math.floor(random() * span));
          vi.setSystemTime(after);
          const theirs = task.getNextRuns(5).map((d) => d.toISOString());
          const ours: string[] = [];
          let t = after;
          for (let k = 0; k < 5; k++) {
            t = nextRun(pattern, t);
            ours.push(t.toISOString());
          }
          expect(ours, `${pattern} after ${after.toISOString()}`).toEqual(theirs);
        }
      } finally {
        void task.destroy();
      }
    }
  });
});
