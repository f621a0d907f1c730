/**
 * Start-up of the CLI (issue 22, 3): `tickdb --version` (target <= 80 ms) and `tickdb status` on a tree of 200
 * days (target <= 300 ms), each the median of `reps` runs alternated with `node -e 0` (the runtime's own start, the
 * floor no command goes under), so that a loaded machine shows as a slow floor rather than as a slow CLI.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BIN, ratio, timeCommand } from './bench-cli.js';

export interface StartupFigures {
  reps: number;
  nodeMs: number;
  versionMs: number;
  statusMs: number;
  statusDays: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Times a command that may exit non-zero (status exits 2 or 3 on warnings). */
function timeAnyExit(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  if (r.status === null || r.status === 1) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

/** Builds a tree of `days` small days under `work` and times the start-up of the CLI. */
export function benchStartup(work: string, now: string, reps = 11, days = 200): StartupFigures {
  const root = join(work, `startup-${days}-days`);
  const sim = spawnSync(
    process.execPath,
    [BIN, 'simulate', '--days', String(days), '--rows', '200', '--root', root, '--now', now, '--log-level', 'warn'],
    { encoding: 'utf8' },
  );
  if (sim.status !== 0) throw new Error(`simulate failed: ${sim.stderr}`);
  const node: number[] = [];
  const version: number[] = [];
  const status: number[] = [];
  for (let i = 0; i < reps; i++) {
    node.push(timeCommand(process.execPath, ['-e', '0']));
    version.push(timeCommand(process.execPath, [BIN, '--version']));
    status.push(timeAnyExit(process.execPath, [BIN, 'status', '--root', root, '--now', now, '--log-level', 'warn']));
  }
  return { reps, nodeMs: median(node), versionMs: median(version), statusMs: median(status), statusDays: days };
}

export function formatStartup(s: StartupFigures): string {
  const ok = (v: number, target: number): string => (v <= target ? 'ok' : 'MISSED');
  return [
    `start-up (medians of ${s.reps} alternated runs)`,
    `  node -e 0 (the runtime alone)      ${s.nodeMs.toFixed(0)} ms`,
    `  tickdb --version                   ${s.versionMs.toFixed(0)} ms = ${ratio(s.versionMs, s.nodeMs)}x node -e 0  (target <= 80 ms: ${ok(s.versionMs, 80)})`,
    `  tickdb status, ${s.statusDays} days            ${s.statusMs.toFixed(0)} ms = ${ratio(s.statusMs, s.nodeMs)}x node -e 0  (target <= 300 ms: ${ok(s.statusMs, 300)})`,
  ].join('\n');
}
