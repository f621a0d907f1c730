/**
 * Start-up of the CLI (issue 22, 3): `tickdb --version` (target <= 80 ms) and `tickdb status` on a tree of 200
 * days (target <= 300 ms), each the median of `reps` runs alternated with `node -e 0` (the runtime's own start, the
 * floor no command goes under), so that a loaded machine shows as a slow floor rather than as a slow CLI. With
 * `--release`, the release tree's three too, on its own Node (scripts/bench-release.ts), alternated with the others.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BIN, median, ratio, type TickdbRuntime, timeCommand } from './bench-cli.js';

export interface StartupFigures {
  reps: number;
  nodeMs: number;
  versionMs: number;
  statusMs: number;
  statusDays: number;
  /**
   * When NODE_EXTRA_CA_CERTS is set (the development VM sets it to a 215 KiB bundle), Node reads and parses it at
   * every start, about 45 ms of CPU before any JavaScript: `node -e 0` and `tickdb --version` again without it.
   */
  withoutExtraCaCerts?: { nodeMs: number; versionMs: number };
  /** The release tree's `node -e 0`, `tickdb --version` and `tickdb status` (`--release`). */
  release?: { label: string; nodeMs: number; versionMs: number; statusMs: number };
}

/** Times a command that may exit non-zero (status exits 2 or 3 on warnings). */
function timeAnyExit(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  if (r.status === null || r.status === 1) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

/** Builds a tree of `days` small days under `work` and times the start-up of the CLI. */
export function benchStartup(
  work: string,
  now: string,
  reps = 11,
  days = 200,
  release?: TickdbRuntime,
): StartupFigures {
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
  const bare = { node: [] as number[], version: [] as number[] };
  const rel = { node: [] as number[], version: [] as number[], status: [] as number[] };
  const certs = process.env.NODE_EXTRA_CA_CERTS;
  for (let i = 0; i < reps; i++) {
    node.push(timeCommand(process.execPath, ['-e', '0']));
    version.push(timeCommand(process.execPath, [BIN, '--version']));
    status.push(timeAnyExit(process.execPath, [BIN, 'status', '--root', root, '--now', now, '--log-level', 'warn']));
    if (certs !== undefined) {
      bare.node.push(timeCommand('env', ['-u', 'NODE_EXTRA_CA_CERTS', process.execPath, '-e', '0']));
      bare.version.push(timeCommand('env', ['-u', 'NODE_EXTRA_CA_CERTS', process.execPath, BIN, '--version']));
    }
    if (release !== undefined) {
      rel.node.push(timeCommand(release.node, ['-e', '0']));
      rel.version.push(timeCommand(release.node, [release.bin, '--version']));
      rel.status.push(
        timeAnyExit(release.node, [release.bin, 'status', '--root', root, '--now', now, '--log-level', 'warn']),
      );
    }
  }
  return {
    reps,
    nodeMs: median(node),
    versionMs: median(version),
    statusMs: median(status),
    statusDays: days,
    ...(certs === undefined
      ? {}
      : { withoutExtraCaCerts: { nodeMs: median(bare.node), versionMs: median(bare.version) } }),
    ...(release === undefined
      ? {}
      : {
          release: {
            label: release.label,
            nodeMs: median(rel.node),
            versionMs: median(rel.version),
            statusMs: median(rel.status),
          },
        }),
  };
}

export function formatStartup(s: StartupFigures): string {
  const ok = (v: number, target: number): string => (v <= target ? 'ok' : 'MISSED');
  return [
    `start-up (medians of ${s.reps} alternated runs)`,
    `  node -e 0 (the runtime alone)      ${s.nodeMs.toFixed(0)} ms`,
    `  tickdb --version                   ${s.versionMs.toFixed(0)} ms = ${ratio(s.versionMs, s.nodeMs)}x node -e 0  (target <= 80 ms: ${ok(s.versionMs, 80)})`,
    `  tickdb status, ${s.statusDays} days            ${s.statusMs.toFixed(0)} ms = ${ratio(s.statusMs, s.nodeMs)}x node -e 0  (target <= 300 ms: ${ok(s.statusMs, 300)})`,
    ...(s.withoutExtraCaCerts === undefined
      ? []
      : [
          '  NODE_EXTRA_CA_CERTS is set: Node parses that bundle at every start; the same two without it (env -u):',
          `  node -e 0                          ${s.withoutExtraCaCerts.nodeMs.toFixed(0)} ms`,
          `  tickdb --version                   ${s.withoutExtraCaCerts.versionMs.toFixed(0)} ms  (target <= 80 ms: ${ok(s.withoutExtraCaCerts.versionMs, 80)})`,
        ]),
    ...(s.release === undefined
      ? []
      : [
          `  ${s.release.label} (what the .deb and the tarball run):`,
          `  node -e 0                          ${s.release.nodeMs.toFixed(0)} ms`,
          `  tickdb --version                   ${s.release.versionMs.toFixed(0)} ms  (target <= 80 ms: ${ok(s.release.versionMs, 80)})`,
          `  tickdb status, ${s.statusDays} days            ${s.release.statusMs.toFixed(0)} ms  (target <= 300 ms: ${ok(s.release.statusMs, 300)})`,
        ]),
  ].join('\n');
}
