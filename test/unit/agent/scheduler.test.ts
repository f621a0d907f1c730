import { describe, expect, it } from 'vitest';
import { agentSchedules } from '../../../src/agent/agent-config.js';
import { ClockJumpDetector } from '../../../src/agent/clock-jump.js';
import { Scheduler, type ScheduleEntry } from '../../../src/agent/scheduler.js';
import { FakeTime } from './fake-time.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Job = 'rotate' | 'compress' | 'archive' | 'purge' | 'status';

function harness(start: string, schedules?: Record<Job, ScheduleEntry>) {
  const time = new FakeTime(start);
  const fired: string[] = [];
  const jumps: number[] = [];
  const errors: unknown[] = [];
  const scheduler = new Scheduler<Job>(
    schedules ??
      agentSchedules({
        schedules: {
          rotate: '0 0 * * *',
          compress: '0 2 * * *',
          archive: '30 2 * * *',
          purge: '30 2 * * *',
          status: '0 * * * *',
          drill: '0 4 * * 0',
          export: '0 5 * * *',
        },
        graceMinutes: 15,
      }),
    {
      clock: time.clock,
      monotonicMs: time.monotonic,
      timers: time.timerApi,
      onSlot: (job, slot) => fired.push(`${job}@${slot.toISOString()}`),
      onClockJump: (drift) => jumps.push(drift),
      onError: (err) => errors.push(err),
    },
  );
  return { time, fired, jumps, errors, scheduler };
}

describe('Scheduler on a fake clock', () => {
  it('fires each job at its UTC slot, rotate at midnight + grace, in slot order', () => {
    const { time, fired, scheduler, errors } = harness('2026-03-10T23:50:00Z');
    scheduler.start();
    time.advanceTo('2026-03-11T03:00:00Z');
    expect(fired).toEqual([
      'status@2026-03-11T00:00:00.000Z',
      'rotate@2026-03-11T00:15:00.000Z',
      'status@2026-03-11T01:00:00.000Z',
      'compress@2026-03-11T02:00:00.000Z', // same instant: lifecycle jobs first, in their order
      'status@2026-03-11T02:00:00.000Z',
      'archive@2026-03-11T02:30:00.000Z',
      'purge@2026-03-11T02:30:00.000Z',
      'status@2026-03-11T03:00:00.000Z',
    ]);
    expect(errors).toEqual([]);
  });

  it('fires a slot once, at its instant and not before, and never sleeps longer than 30 s', () => {
    const { time, fired, scheduler } = harness('2026-03-11T01:59:00Z');
    scheduler.start();
    time.advance(59_999);
    expect(fired.filter((f) => f.startsWith('compress'))).toEqual([]);
    time.advance(1);
    expect(fired.filter((f) => f.startsWith('compress'))).toEqual(['compress@2026-03-11T02:00:00.000Z']);
    time.advance(DAY - 1);
    expect(fired.filter((f) => f.startsWith('compress'))).toHaveLength(1);
    time.advance(1);
    expect(fired.filter((f) => f.startsWith('compress'))).toHaveLength(2);
    expect(Math.max(...time.requestedDelays)).toBeLessThanOrEqual(30_000);
    expect(time.pendingTimers).toBe(1);
  });

  it('runs on an offset clock: slots follow the clock it is given, whatever the real time', () => {
    const { time, fired, scheduler } = harness('2031-07-31T23:59:30Z');
    scheduler.start();
    expect(
      scheduler
        .nextRuns()
        .find((n) => n.job === 'rotate')
        ?.at.toISOString(),
    ).toBe('2031-08-01T00:15:00.000Z');
    time.advance(20 * 60_000);
    expect(fired).toEqual(['status@2031-08-01T00:00:00.000Z', 'rotate@2031-08-01T00:15:00.000Z']);
  });

  it("follows a weekly schedule (the older scripts' 0 2 * * 0)", () => {
    const { time, fired, scheduler } = harness('2026-03-10T13:00:00Z', {
      rotate: { pattern: '0 0 * * *' },
      compress: { pattern: '0 2 * * 0' },
      archive: { pattern: '30 2 * * *' },
      purge: { pattern: '30 2 * * *' },
      status: { pattern: '0 * * * *' },
    });
    scheduler.start();
    time.advance(14 * DAY);
    expect(fired.filter((f) => f.startsWith('compress'))).toEqual([
      'compress@2026-03-15T02:00:00.000Z',
      'compress@2026-03-22T02:00:00.000Z',
    ]);
  });

  it('reports a forward jump (host asleep) once, recomputes the slots and fires none of the missed ones', () => {
    const { time, fired, jumps, scheduler } = harness('2026-03-10T13:00:10Z');
    scheduler.start();
    time.suspend(10 * DAY); // asleep: wall clock moves, timers and the monotonic clock do not
    time.advance(30_000); // the capped wake-up after resume
    expect(jumps).toHaveLength(1);
    expect(jumps[0]).toBeGreaterThan(10 * DAY - 60_000);
    expect(fired).toEqual([]); // the caller catches up from the planner instead
    expect(
      scheduler
        .nextRuns()
        .find((n) => n.job === 'compress')
        ?.at.toISOString(),
    ).toBe('2026-03-21T02:00:00.000Z');
    time.advance(HOUR);
    expect(fired).toEqual(['status@2026-03-20T14:00:00.000Z']);
    expect(jumps).toHaveLength(1);
  });

  it('reports a backward jump and does not skip the slots of the repeated time', () => {
    const { time, fired, jumps, scheduler } = harness('2026-03-11T03:00:00Z');
    scheduler.start();
    time.jumpWall(-2 * DAY);
    time.advance(30_000);
    expect(jumps).toEqual([-2 * DAY]);
    expect(
      scheduler
        .nextRuns()
        .find((n) => n.job === 'compress')
        ?.at.toISOString(),
    ).toBe('2026-03-10T02:00:00.000Z');
    time.advance(23 * HOUR);
    expect(fired).toContain('compress@2026-03-10T02:00:00.000Z');
  });

  it('does not take the small drift of a late timer for a jump', () => {
    const { time, jumps, scheduler } = harness('2026-03-10T13:00:00Z');
    scheduler.start();
    time.jumpWall(50_000);
    time.advance(DAY);
    expect(jumps).toEqual([]);
  });

  it('replaces its schedules (SIGHUP) and keeps the old ones when a pattern is invalid', () => {
    const { time, fired, scheduler } = harness('2026-03-10T13:00:00Z');
    scheduler.start();
    const next = {
      rotate: { pattern: '0 0 * * *' },
      compress: { pattern: '45 13 * * *' },
      archive: { pattern: '30 2 * * *' },
      purge: { pattern: '30 2 * * *' },
      status: { pattern: '0 * * * *' },
    };
    expect(() => scheduler.setSchedules({ ...next, compress: { pattern: '99 * * * *' } })).toThrow(
      /invalid cron pattern/,
    );
    expect(
      scheduler
        .nextRuns()
        .find((n) => n.job === 'compress')
        ?.at.toISOString(),
    ).toBe('2026-03-11T02:00:00.000Z');
    scheduler.setSchedules(next);
    time.advance(50 * 60_000);
    expect(fired).toEqual(['compress@2026-03-10T13:45:00.000Z']);
  });

  it('stops: no timer left, nothing fires', () => {
    const { time, fired, scheduler } = harness('2026-03-10T13:00:00Z');
    scheduler.start();
    scheduler.stop();
    expect(time.pendingTimers).toBe(0);
    time.advance(2 * DAY);
    expect(fired).toEqual([]);
  });

  it('keeps running when a slot callback throws, and reports the error', () => {
    const time = new FakeTime('2026-03-10T13:59:00Z');
    const errors: unknown[] = [];
    let calls = 0;
    const scheduler = new Scheduler<'status'>(
      { status: { pattern: '0 * * * *' } },
      {
        clock: time.clock,
        monotonicMs: time.monotonic,
        timers: time.timerApi,
        onSlot: () => {
          calls++;
          throw new Error('boom');
        },
        onClockJump: () => undefined,
        onError: (err) => errors.push(err),
      },
    );
    scheduler.start();
    time.advance(2 * HOUR);
    expect(calls).toBe(2);
    expect(errors).toHaveLength(2);
  });
});

describe('ClockJumpDetector', () => {
  it('compares wall-clock time passed with monotonic time passed, either way', () => {
    const d = new ClockJumpDetector(60_000);
    expect(d.check(1_000_000, 0)).toBeUndefined();
    expect(d.check(1_030_000, 30_000)).toBeUndefined();
    expect(d.check(1_060_000 + 61_000, 60_000)).toBe(61_000);
    expect(d.check(1_060_000 + 61_000 + 30_000 - 120_000, 90_000)).toBe(-120_000);
    expect(d.check(1_060_000 + 61_000 + 30_000 - 120_000 + 30_000 + 59_000, 120_000)).toBeUndefined();
  });
});
