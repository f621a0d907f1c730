import type { Timers } from './scheduler.js';

export interface BusyRetryOptions {
  timers: Timers;
  /** Queues the retry (a rotate pass); called from the timer. */
  retry: () => void;
  /** First wait after a pass that left days busy; each further wait doubles it. */
  firstMs?: number;
  /** Longest wait between two retries. */
  maxMs?: number;
}

/**
 * When a seal finds a day still held by the writer (busy: it has not closed it yet after midnight), the day is
 * retried soon rather than at the next daily slot: after 30 s, then 60 s, 120 s, ... up to 15 min between tries,
 * until a pass that ran the rotate job leaves nothing busy. One retry waits at a time; the timers are injectable
 * (a fake clock in tests).
 */
export class BusyRetry {
  private timer: unknown;
  private attempts = 0;
  private readonly firstMs: number;
  private readonly maxMs: number;

  constructor(private readonly o: BusyRetryOptions) {
    this.firstMs = o.firstMs ?? 30_000;
    this.maxMs = o.maxMs ?? 15 * 60_000;
  }

  /**
   * The outcome of a pass that ran the rotate job: `busy` days were still held. Returns the wait before the retry
   * it scheduled, or undefined (nothing busy, or a retry already waits).
   */
  record(busy: number): number | undefined {
    if (busy === 0) {
      this.cancel();
      this.attempts = 0;
      return undefined;
    }
    if (this.timer !== undefined) return undefined;
    const delay = Math.min(this.firstMs * 2 ** this.attempts, this.maxMs);
    this.attempts++;
    this.timer = this.o.timers.set(() => {
      this.timer = undefined;
      this.o.retry();
    }, delay);
    return delay;
  }

  /** Drops a waiting retry (the agent stops). */
  cancel(): void {
    if (this.timer !== undefined) this.o.timers.clear(this.timer);
    this.timer = undefined;
  }
}
