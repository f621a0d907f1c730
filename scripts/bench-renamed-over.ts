/**
 * A writer's waits beside a large file renamed over an existing one, the way `tickdb decompress --force` replaced its
 * output until 2026-11-29 (docs/performance.md, "Renamed over"). On ext4, a rename over an existing file makes the
 * kernel write the new file's delayed allocations back at once (`auto_da_alloc`): a burst of the whole file, which a
 * writer's fsync waits behind. Removing the old file first leaves the writeback to the kernel's pace.
 *
 *   node dist/scripts/bench-renamed-over.js --zst DAY.db.zst [--cycles 4] [--seconds 10] [--work DIR]
 *
 * One writer (dist/scripts/tick-writer.js, 500 inserts/s, fsync per insert) runs throughout; each cycle has these
 * phases, each a loop of the same command for `--seconds`, at the service unit's priority (SERVICE_PRIORITY), with
 * a `sync` between phases that no phase counts:
 * - `alone`: nothing of ours;
 * - `cp + rename over the old` / `rm the old, cp + rename`: the mechanism alone, with `cp` and `mv`;
 * - `tickdb decompress --force`: this build, over its output of the run before;
 * - `zstd -d -f`: the reference, over its output of the run before.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BIN, SERVICE_PRIORITY, phaseOf, startWriter } from './bench-cli.js';

const { values } = parseArgs({
  options: {
    zst: { type: 'string' },
    cycles: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '10' },
    work: { type: 'string' },
  },
});
if (values.zst === undefined) throw new Error('usage: bench-renamed-over --zst DAY.db.zst [--cycles N] [--seconds S]');
const zst = values.zst;
const cycles = Number(values.cycles);
const ms = Number(values.seconds) * 1000;
const work = values.work ?? mkdtempSync(join(tmpdir(), 'tickdb-renamed-over-'));
const plain = join(work, 'plain.db');
const out = join(work, 'out.db');
spawnSync('zstd', ['-q', '-d', '-f', zst, '-o', plain], { stdio: 'inherit' });

const prio = (args: string[]): string[] => [...SERVICE_PRIORITY, ...args];
const PHASES: [string, string[]][] = [
  ['cp + rename over the old', prio(['sh', '-c', `cp "$0" "$1.tmp" && mv -f "$1.tmp" "$1"`, plain, out])],
  ['rm the old, cp + rename', prio(['sh', '-c', `rm -f "$1" && cp "$0" "$1.tmp" && mv "$1.tmp" "$1"`, plain, out])],
  ['tickdb decompress --force', prio([process.execPath, BIN, 'decompress', zst, '-o', out, '--force'])],
  ['zstd -d -f', prio(['zstd', '-q', '-d', '-f', zst, '-o', out])],
];

/** Runs `cmd` again and again for `ms`; returns how many times. */
async function loopFor(cmd: string[]): Promise<number> {
  const end = Date.now() + ms;
  let runs = 0;
  while (Date.now() < end) {
    runs++;
    await new Promise((resolve) => spawn(cmd[0] ?? 'false', cmd.slice(1), { stdio: 'ignore' }).on('exit', resolve));
  }
  return runs;
}

const writer = await startWriter(join(work, 'writer.db'), 500);
const runs = new Map<string, number>();
spawnSync('cp', [plain, out]);
for (let c = 0; c < cycles; c++) {
  await writer.phase('alone');
  await new Promise((r) => setTimeout(r, ms));
  for (const [name, cmd] of PHASES) {
    await writer.phase('between');
    spawnSync('sync');
    await writer.phase(name);
    runs.set(name, (runs.get(name) ?? 0) + (await loopFor(cmd)));
  }
  await writer.phase('between');
  spawnSync('sync');
}
const stats = await writer.stop();
console.log(`writer at 500/s, ${cycles} cycles of ${ms / 1000} s per phase, ${zst}`);
for (const name of ['alone', ...PHASES.map(([n]) => n)]) {
  const p = phaseOf(stats, name);
  const n = runs.get(name);
  console.log(
    `  ${name.padEnd(28)} ${n === undefined ? '' : `${n} runs, `}p99 ${p.p99Ms.toFixed(1)} ms, max ${p.maxMs.toFixed(1)} ms, ${p.over50Ms} over 50 ms`,
  );
}
if (values.work === undefined) rmSync(work, { recursive: true, force: true });
