/**
 * Notices that the wall clock moved differently from the monotonic clock: the host slept (suspend stops the
 * monotonic clock, not the wall clock) or someone set the time. Each `check` compares the wall-clock time passed
 * since the previous check with the monotonic time passed; a difference beyond the threshold, either way, is a
 * jump (returned in ms, positive when the wall clock went forward).
 */
export class ClockJumpDetector {
  private last: { wallMs: number; monoMs: number } | undefined;

  constructor(private readonly thresholdMs = 60_000) {}

  check(wallMs: number, monoMs: number): number | undefined {
    const prev = this.last;
    this.last = { wallMs, monoMs };
    if (prev === undefined) return undefined;
    const drift = wallMs - prev.wallMs - (monoMs - prev.monoMs);
    return Math.abs(drift) > this.thresholdMs ? drift : undefined;
  }

  reset(): void {
    this.last = undefined;
  }
}
