import type { Timers } from '../../../src/agent/scheduler.js';

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A fake wall clock, monotonic clock and timers: `advance` moves both clocks and fires the timers that come due,
 * in order; `jumpWall` moves the wall clock alone (a time change); `suspend` moves the wall clock while timers
 * do not run (a host asleep: the monotonic clock stops). No test ever sleeps.
 */
export class FakeTime {
  wallMs: number;
  monoMs = 1_000;
  private timers: FakeTimer[] = [];
  private nextId = 1;
  /** Every delay the code under test asked for. */
  readonly requestedDelays: number[] = [];

  constructor(start: string | Date) {
    this.wallMs = new Date(start).getTime();
  }

  readonly clock = { now: (): Date => new Date(this.wallMs), offsetMs: 0 };
  readonly monotonic = (): number => this.monoMs;
  readonly timerApi: Timers = {
    set: (fn, ms) => {
      this.requestedDelays.push(ms);
      const t = { id: this.nextId++, at: this.monoMs + Math.max(0, ms), fn };
      this.timers.push(t);
      return t.id;
    },
    clear: (handle) => {
      this.timers = this.timers.filter((t) => t.id !== handle);
    },
  };

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves both clocks by `ms`, firing due timers in time order (each at its own instant). */
  advance(ms: number): void {
    const target = this.monoMs + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.wallMs += due.at - this.monoMs;
      this.monoMs = due.at;
      due.fn();
    }
    this.wallMs += target - this.monoMs;
    this.monoMs = target;
  }

  /** Moves to a wall-clock instant by advancing (no jump). */
  advanceTo(iso: string): void {
    this.advance(new Date(iso).getTime() - this.wallMs);
  }

  jumpWall(ms: number): void {
    this.wallMs += ms;
  }

  /** The host sleeps for `ms`: the wall clock moves, the monotonic clock and the timers do not. */
  suspend(ms: number): void {
    this.wallMs += ms;
  }
}
