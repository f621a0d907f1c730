import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_EVERY_BYTES } from '../../src/zstd/compress-file.js';
import { expectExit, runCli, tempDir } from '../helpers/cli.js';
import { straceUsable, traceRunOnce, type TraceEvent } from '../helpers/durability-trace.js';

/**
 * A compressed day's .zst is fdatasynced every SYNC_EVERY_BYTES as it is written, proven from a syscall trace: the
 * engine's own fsyncs then never queue behind more than about a MiB of ours (src/zstd/compress-file.ts has the
 * measurement). The sink writes in 256 KiB slices and syncs after the slice that reaches the limit, so no more than
 * the limit plus one slice is ever unsynced.
 */
const SLICE = 256 * 1024;
const POLICY = { compressAfterDays: 2, archiveAfterDays: 30, purgeAfterDays: 60, backupRetentionDays: 10 };
const NOW = '2026-03-20T12:00:00Z';

const canTrace = straceUsable('flush-pacing');

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

describe.skipIf(!canTrace)('paced flushing of a compressed day, from an strace of a run', () => {
  let dir: string;
  let cleanup: () => void;
  let root: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('tickdb-pacing-'));
    // strace prints canonical paths: a temp folder reached through a symlink would match nothing.
    root = join(realpathSync(dir), 'root');
    // Three days of ~10 MB: the two past compressAfterDays are sealed, backed up and compressed in one run.
    expectExit(runCli(['simulate', '--days', '3', '--rows', '120000', '--root', root, '--now', NOW]));
  });
  afterAll(() => cleanup());

  it('the .zst files never have more than a MiB and a slice written and not yet synced', () => {
    const config = join(dir, 'tickdb.json');
    writeFileSync(config, JSON.stringify(POLICY));
    const out = join(dir, 'run.strace');
    const runs = unsyncedRuns(traceRunOnce(out, ['--root', root, '--config', config, '--now', NOW]));
    const zst = [...runs].filter(([path, f]) => path.includes('.db.zst') && f.written > 0);
    process.stdout.write(
      `flush-pacing: ${zst.map(([p, f]) => `${p.slice(root.length)} ${f.written} B, longest unsynced ${f.longestRun} B`).join('; ')}\n`,
    );
    // Two .zst files, each several times the limit: a file flushed only at its end (or per frame) would fail.
    expect(zst.length).toBe(2);
    for (const [path, f] of zst) {
      expect(f.written, path).toBeGreaterThan(3 * SYNC_EVERY_BYTES);
      expect(f.longestRun, path).toBeLessThanOrEqual(SYNC_EVERY_BYTES + SLICE);
    }
  }, 120_000);
});
