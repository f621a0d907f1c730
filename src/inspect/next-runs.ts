import { nextRun, parseCron } from '../config/cron-next.js';

/**
 * The next `count` instants strictly after `from` at which a cron pattern fires, in UTC. It is the agent's own
 * scheduler arithmetic (src/agent/cron-next.ts: node-cron's parsing and matching, evaluated on a given instant
 * instead of the real clock), so that `policy --now` shows exactly when the agent would wake. node-cron's own
 * `getNextRuns` reads the real clock, which a rehearsal with `--now` must not. Throws a CONFIG error for an
 * invalid pattern.
 */
export function nextRuns(pattern: string, from: Date, count: number): Date[] {
  const parsed = parseCron(pattern);
  const out: Date[] = [];
  let at = from;
  for (let i = 0; i < count; i++) {
    at = nextRun(parsed, at);
    out.push(at);
  }
  return out;
}
