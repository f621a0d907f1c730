import { performance } from 'node:perf_hooks';
import { ClockJumpDetector } from './clock-jump.js';
import { nextRun, parseCron, type CronPattern } from '../config/cron-next.js';

/** The timer functions the scheduler uses (real ones in the agent, a fake clock's in tests). */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const nodeTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** When a job wakes: its cron pattern (UTC), fired `delayMs` after each slot (rotate: midnight + grace). */
export interface ScheduleEntry {
  pattern: string;
  delayMs?: number;
}

export interface SchedulerOptions<J extends string> {
  clock: { now(): Date };
  monotonicMs?: () => number;
  timers?: Timers;
  /** Longest sleep between two looks at the clock; also the clock-jump detector's period. */
  maxSleepMs?: number;
  /** A wall-clock vs monotonic difference beyond this is a clock jump (sleep, resume, time set). */
  jumpThresholdMs?: number;
  /** A job's slot has come (the callback only enqueues; it must not throw). */
  onSlot: (job: J, slot: Date) => void;
  /** The clock jumped: slots are recomputed from the new time; the caller catches up from the planner. */
  onClockJump: (driftMs: number, now: Date) => void;
  onError: (err: unknown) => void;
}

interface Entry {
  cron: CronPattern;
  delayMs: number;
  next: number;
}

export interface NextRun<J extends string> {
  job: J;
  at: Date;
}

/** The first firing of a schedule entry strictly after `after` (ms). */
export function nextSlot(entry: { cron: CronPattern | string; delayMs?: number }, after: number): number {
  const delay = entry.delayMs ?? 0;
  return nextRun(entry.cron, new Date(after - delay)).getTime() + delay;
}

/**
 * Cron slots on an injectable clock. node-cron parses and validates the patterns; the timers are ours because
 * the clock may be offset (`run --now`) or fake (tests), and because a slot missed while the host slept is
 * handled by the caller's catch-up rather than silently dropped. It sleeps until the nearest slot but never more
 * than `maxSleepMs`, so every wake-up also checks the clock for jumps.
 */
export class Scheduler<J extends string> {
  private entries = new Map<J, Entry>();
  private timer: unknown;
  private running = false;
  private readonly jumps: ClockJumpDetector;
  private readonly timers: Timers;
  private readonly monotonicMs: () => number;
  private readonly maxSleepMs: number;

  constructor(
    schedules: Record<J, ScheduleEntry>,
    private readonly options: SchedulerOptions<J>,
  ) {
    this.timers = options.timers ?? nodeTimers;
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
    this.maxSleepMs = options.maxSleepMs ?? 30_000;
    this.jumps = new ClockJumpDetector(options.jumpThresholdMs ?? 60_000);
    this.entries = this.build(schedules, options.clock.now().getTime());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.options.clock.now().getTime();
    this.jumps.reset();
    this.jumps.check(now, this.monotonicMs());
    this.recompute(now);
    this.arm(now);
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
  }

  /** Replaces the schedules (SIGHUP); an invalid pattern throws and leaves the running ones in place. */
  setSchedules(schedules: Record<J, ScheduleEntry>): void {
    const now = this.options.clock.now().getTime();
    this.entries = this.build(schedules, now);
    if (this.running) {
      if (this.timer !== undefined) this.timers.clear(this.timer);
      this.arm(now);
    }
  }

  nextRuns(): NextRun<J>[] {
    return [...this.entries].map(([job, e]) => ({ job, at: new Date(e.next) }));
  }

  private build(schedules: Record<J, ScheduleEntry>, now: number): Map<J, Entry> {
    const entries = new Map<J, Entry>();
    for (const job of Object.keys(schedules) as J[]) {
      const s = schedules[job];
      const cron = parseCron(s.pattern);
      const delayMs = s.delayMs ?? 0;
      entries.set(job, { cron, delayMs, next: nextSlot({ cron, delayMs }, now) });
    }
    return entries;
  }

  private recompute(now: number): void {
    for (const e of this.entries.values()) e.next = nextSlot(e, now);
  }

  private arm(now: number): void {
    let soonest = Number.POSITIVE_INFINITY;
    for (const e of this.entries.values()) soonest = Math.min(soonest, e.next);
    const delay = Math.max(0, Math.min(soonest - now, this.maxSleepMs));
    this.timer = this.timers.set(() => this.wake(), delay);
  }

  private wake(): void {
    this.timer = undefined;
    if (!this.running) return;
    const now = this.options.clock.now().getTime();
    try {
      const drift = this.jumps.check(now, this.monotonicMs());
      if (drift !== undefined) {
        this.recompute(now);
        this.options.onClockJump(drift, new Date(now));
      } else {
        const due = [...this.entries].filter(([, e]) => e.next <= now).sort(([, a], [, b]) => a.next - b.next);
        for (const [job, e] of due) {
          const slot = new Date(e.next);
          e.next = nextSlot(e, now);
          this.options.onSlot(job, slot);
        }
      }
    } catch (err) {
      this.options.onError(err);
    } finally {
      if (this.running) this.arm(now);
    }
  }
}
