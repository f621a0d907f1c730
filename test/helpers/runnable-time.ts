import { readdirSync, readFileSync } from 'node:fs';

/**
 * A clock for the budget of a wait on a tickdb process: wall time minus the time its threads spent waiting for a
 * CPU (Linux's per-thread run delay, field 2 of /proc/PID/task/TID/schedstat).
 *
 * Every tickdb command lowers itself to nice 10 (DESIGN 10), so beside programs at nice 0 it gets what they leave.
 * Measured on the 2-core CI machine with two CPU hogs at nice 0 and other work (load 13-18): a busy loop at nice 10
 * ran 313 ms in 10 s; the daemon of daemon-signals had used 1 s of CPU after 54 s, and its first test took 83-97 s
 * of wall time. That is the product doing what it should (it yields to the trading engine), so a budget in wall
 * time would fail it. This clock stops while the process waits for a CPU, so the same budget still catches a hang
 * (a process asleep on a lost event keeps the clock running) without failing a starved process.
 *
 * Threads wait in parallel, so their summed delay can exceed the wall time: the clock then stands still (it never
 * goes back). Threads that have ended keep the delay last read from them. Where the process is gone or the
 * platform has no schedstat, the delay stops growing and the clock is wall time.
 */
export function runnableClock(pid: number): () => number {
  const start = Date.now();
  const delayNs = new Map<string, bigint>();
  const initial = totalDelay(pid, delayNs);
  let last = 0;
  return () => {
    const starvedMs = Number((totalDelay(pid, delayNs) - initial) / 1_000_000n);
    last = Math.max(last, Date.now() - start - starvedMs);
    return last;
  };
}

/** The sum over every thread seen so far of its run delay in ns (the map keeps the last value of each thread). */
function totalDelay(pid: number, delayNs: Map<string, bigint>): bigint {
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    // gone, or not Linux: the delays stay as last read
  }
  for (const tid of tids) {
    try {
      const field = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1];
      if (field !== undefined && /^\d+$/.test(field)) delayNs.set(tid, BigInt(field));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  let sum = 0n;
  for (const v of delayNs.values()) sum += v;
  return sum;
}
