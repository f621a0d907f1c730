import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getPriority } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, tempDir } from '../helpers/cli.js';

const NOW = '2026-03-10T12:00:00Z';
const ENV = { TICKDB_COMPRESS_AFTER_DAYS: '1', TICKDB_COMPRESSION_LEVEL: '19' };
let dir: string;
let cleanup: () => void;
let root: string;

/** The nice value of every thread of `pid` (field 19 of /proc/PID/task/TID/stat), or undefined once it is gone. */
function threadNices(pid: number): number[] | undefined {
  try {
    return readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    });
  } catch {
    return undefined;
  }
}

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  root = join(dir, 'root');
  const sim = runCli(['simulate', '--days', '1', '--rows', '150000', '--root', root, '--now', NOW], { env: ENV });
  expect(sim.code, sim.stderr).toBe(0);
  const rotate = runCli(['rotate', '--root', root, '--now', NOW], { env: ENV });
  expect(rotate.code, rotate.stderr).toBe(0);
});
afterAll(() => cleanup());

describe.runIf(process.platform === 'linux')('priority', () => {
  it('a one-shot tickdb compress runs every thread at nice 10 while it compresses (below the trading engine)', async () => {
    const child = spawnCli(['compress', '--root', root, '--now', NOW], { env: ENV });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const month = join(root, 'db', '2026', '03');
    let seen: number[] | undefined;
    // Sampled once the .tmp exists: the compression itself has started, on libuv's pool.
    while (child.exitCode === null && seen === undefined) {
      if (readdirSync(month).some((f) => f.endsWith('.tmp'))) seen = threadNices(child.pid ?? 0);
      else await new Promise((r) => setTimeout(r, 5));
    }
    expect(await exited).toBe(0);
    expect(seen, 'the compression ended before it could be observed').toBeDefined();
    // tickdb lowers itself to nice 10 and never raises a priority: under `nice -n 19 npm test` it stays at 19.
    expect(new Set(seen)).toEqual(new Set([Math.max(10, getPriority())]));
    expect(readdirSync(month).some((f) => f.endsWith('.db.zst'))).toBe(true);
  });
});
