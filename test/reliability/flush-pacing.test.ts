import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_EVERY_BYTES } from '../../src/fs/sync-pace.js';
import { BIN, REPO, cleanEnv, expectExit, runCli, tempDir } from '../helpers/cli.js';
import { parseTrace, ptraceRefusal, straceArgs, type TraceEvent } from '../helpers/durability-trace.js';
import { needProgram } from '../helpers/external-programs.js';

/**
 * The big files tickdb writes beside the trading engine (a day's backup copy, its compressed .zst) are fdatasynced
 * every SYNC_EVERY_BYTES as they are written, proven from a syscall trace: the engine's own fsyncs then never queue
 * behind more than about a MiB of ours (src/fs/sync-pace.ts has the measurement). The sink writes in 256 KiB slices
 * and syncs after the slice that reaches the limit, so no more than the limit plus one slice is ever unsynced.
 */
const SLICE = 256 * 1024;
const POLICY = { compressAfterDays: 2, archiveAfterDays: 30, purgeAfterDays: 60, backupRetentionDays: 10 };
const NOW = '2026-03-20T12:00:00Z';

const hasStrace = needProgram('strace');
const refused = hasStrace ? ptraceRefusal() : undefined;
if (refused !== undefined) process.stdout.write(`flush-pacing: skipped: ${refused}\n`);

/** Per file: the bytes written to it, and the most written between two of its fsyncs (or before its first). */
function unsyncedRuns(events: readonly TraceEvent[]): Map<string, { written: number; longestRun: number }> {
  const files = new Map<string, { written: number; run: number; longestRun: number }>();
  for (const e of events) {
    if (e.path === undefined || !e.ok || (e.kind !== 'write' && e.kind !== 'fsync')) continue;
    const f = files.get(e.path) ?? { written: 0, run: 0, longestRun: 0 };
    if (e.kind === 'write') {
      f.written += e.bytes ?? 0;
      f.run += e.bytes ?? 0;
      f.longestRun = Math.max(f.longestRun, f.run);
    } else f.run = 0;
    files.set(e.path, f);
  }
  return new Map([...files].map(([path, { written, longestRun }]) => [path, { written, longestRun }]));
}

describe.skipIf(!hasStrace || refused !== undefined)('paced flushing of the big files, from an strace of a run', () => {
  let dir: string;
  let cleanup: () => void;
  let root: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('tickdb-pacing-'));
    root = join(dir, 'root');
    // Three days of ~10 MB: the two past compressAfterDays are sealed, backed up and compressed in one run.
    expectExit(runCli(['simulate', '--days', '3', '--rows', '120000', '--root', root, '--now', NOW]));
  });
  afterAll(() => cleanup());

  it('the backup copies and the .zst files never have more than a MiB and a slice written and not yet synced', () => {
    const config = join(dir, 'tickdb.json');
    writeFileSync(config, JSON.stringify(POLICY));
    const out = join(dir, 'run.strace');
    const r = spawnSync(
      'strace',
      [...straceArgs(out), process.execPath, BIN, 'run', '--once', '--root', root, '--config', config, '--now', NOW],
      { cwd: REPO, env: cleanEnv({ TICKDB_COMPRESSION_LEVEL: '1' }), encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const runs = unsyncedRuns(parseTrace(readFileSync(out, 'utf8'), REPO));
    const big = [...runs].filter(
      ([path, f]) => (path.startsWith(join(root, 'backup')) || path.includes('.db.zst')) && f.written > 0,
    );
    process.stdout.write(
      `flush-pacing: ${big.map(([p, f]) => `${p.slice(root.length)} ${f.written} B, longest unsynced ${f.longestRun} B`).join('; ')}\n`,
    );
    // Three backups (one per sealed day) and two .zst files, each several times the limit: a file flushed only at its end would fail.
    expect(big.filter(([p]) => p.includes('.db.zst')).length).toBe(2);
    expect(big.filter(([p]) => p.startsWith(join(root, 'backup'))).length).toBeGreaterThanOrEqual(2);
    for (const [path, f] of big) {
      expect(f.written, path).toBeGreaterThan(3 * SYNC_EVERY_BYTES);
      expect(f.longestRun, path).toBeLessThanOrEqual(SYNC_EVERY_BYTES + SLICE);
    }
  }, 120_000);

  it('decompress --sync flushes its output as it goes; without --sync it leaves it to the page cache, like zstd -d', () => {
    const traced = (name: string, extra: string[]): { written: number; longestRun: number } | undefined => {
      const out = join(dir, `${name}.strace`);
      const dest = join(dir, `${name}.db`);
      const args = ['decompress', '2026-03-17', '--root', root, '--now', NOW, '-o', dest, ...extra];
      const r = spawnSync('strace', [...straceArgs(out), process.execPath, BIN, ...args], {
        cwd: REPO,
        env: cleanEnv(),
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const runs = [...unsyncedRuns(parseTrace(readFileSync(out, 'utf8'), REPO))];
      return runs.find(([path]) => path.includes(`${name}.db`))?.[1];
    };
    const synced = traced('synced', ['--sync']);
    const cached = traced('cached', []);
    process.stdout.write(
      `flush-pacing: decompress --sync ${JSON.stringify(synced)}, without ${JSON.stringify(cached)}\n`,
    );
    expect(synced?.written).toBeGreaterThan(3 * SYNC_EVERY_BYTES);
    expect(synced?.longestRun).toBeLessThanOrEqual(SYNC_EVERY_BYTES + SLICE);
    expect(cached?.longestRun).toBe(cached?.written);
  }, 120_000);
});
