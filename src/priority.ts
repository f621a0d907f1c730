import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { errnoOf } from './errors.js';
import type { Logger } from './log.js';

/** os.setPriority throws ERR_SYSTEM_ERROR with the errno name in `info.code`. */
function systemErrorCode(err: unknown): string | undefined {
  const info = typeof err === 'object' && err !== null && 'info' in err ? (err as { info: unknown }).info : undefined;
  return errnoOf(info) ?? errnoOf(err);
}

/** The nice value the agent gives itself: below the trading engine, which must never wait for housekeeping. */
export const AGENT_NICE = 10;

/**
 * The threads of this process. On Linux a nice value belongs to a thread, and Node has started several (V8's
 * platform workers, libuv's pool) before any of our code runs; threads started later inherit from their creator.
 * Elsewhere the process priority is one value (0 = this process).
 */
function ownThreads(): number[] {
  if (process.platform !== 'linux') return [0];
  try {
    return readdirSync('/proc/self/task')
      .map(Number)
      .filter((t) => Number.isInteger(t) && t > 0);
  } catch {
    return [0];
  }
}

/**
 * Lowers the agent's CPU priority where the platform lets it (DESIGN 3a), for every thread of the process, so
 * that libuv's pool (compression) and worker threads (integrity, hashes) run below the trading engine. Never
 * raises a priority an operator set lower, and a refusal (EPERM, EACCES) is only a debug line: the service units
 * set the scheduling classes as well. A thread that ended meanwhile (ESRCH) is skipped. `logger` is called only
 * for a refusal, so that a command that has nothing to say never loads the logger. Returns the threads lowered.
 */
export function lowerPriority(logger: () => Logger, nice = AGENT_NICE): number {
  let lowered = 0;
  for (const tid of ownThreads()) {
    try {
      if (getPriority(tid) >= nice) continue;
      setPriority(tid, nice);
      lowered++;
    } catch (err) {
      const code = systemErrorCode(err);
      if (code === 'ESRCH') continue;
      if (code === 'EPERM' || code === 'EACCES' || code === 'ENOSYS') {
        logger().debug({ job: 'agent', nice, code }, 'cannot lower own CPU priority; left as it is');
        return lowered;
      }
      logger().warn(
        { job: 'agent', nice, err: err instanceof Error ? err.message : String(err) },
        'cannot lower own CPU priority',
      );
      return lowered;
    }
  }
  return lowered;
}
