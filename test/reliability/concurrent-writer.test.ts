import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, expectExit } from '../helpers/cli.js';
import { dayViews, readMeta, runCliAsync, tmpFiles } from '../helpers/faults.js';
import { rowsDigest } from '../helpers/tree.js';
import { until, WriterProcess, type WriterReport } from '../helpers/writer.js';
import { needProgram } from '../helpers/external-programs.js';

/**
 * A writer inserting ticks at a high rate (one autocommit transaction per tick) through midnight, while `run
 * --once` seals, backs up and compresses older days (level 19, 1 MiB frames: several multi-frame compressions).
 * Asserted: no insert fails and no row is lost. The writer's longest waits (p50/p99/max) are printed, not
 * asserted: the benchmark measures them on a quiet machine.
 */
const ENV = { TICKDB_COMPRESSION_LEVEL: '19', TICKDB_FRAME_SIZE_MIB: '1' };
const dayFile = (root: string, day: string): string =>
  join(root, 'db', day.slice(0, 4), day.slice(5, 7), `ticks_${day}.db`);

function rowsOfLive(path: string, scratch: string): number {
  const copy = join(scratch, `live-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(path, copy);
  if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
  return rowsDigest(copy).rows;
}

describe.skipIf(!needProgram('zstd', 'sqlite3'))(
  'a writer through midnight and through compression of older days',
  () => {
    let dir: string;
    let cleanup: () => void;
    let root: string;
    beforeAll(() => {
      ({ dir, cleanup } = tempDir('tickdb-writer-'));
      root = join(dir, 'root');
      // Nine past days of 12 000 rows (about 1 MB each): the runs below compress four of them at level 19.
      expect(
        runCli(['simulate', '--days', '9', '--rows', '12000', '--root', root, '--now', '2026-03-10T12:00:00Z']).code,
      ).toBe(0);
      expectExit(runCli(['rotate', '--root', root, '--now', '2026-03-10T12:00:00Z']));
    });
    afterAll(() => cleanup());

    it('never fails an insert and loses no row', async () => {
      const before = dayViews(root, join(dir, 'scratch'));
      const d10 = dayFile(root, '2026-03-10');
      const d11 = dayFile(root, '2026-03-11');
      const writer = new WriterProcess(d10, 2000);
      let report: WriterReport;
      const runs: { now: string; code: number | null; ms: number; steps: string }[] = [];
      const run = async (now: string): Promise<void> => {
        const r = await runCliAsync(['run', '--once', '--root', root, '--now', now], { env: ENV });
        runs.push({ now, code: r.code, ms: Math.round(r.ms), steps: r.stdout.split('\n').at(-2) ?? '' });
        expect(r.code, `${now}\n${r.stdout}\n${r.stderr}`).toBe(0);
      };
      try {
        await writer.waitFor('ready');
        await until(() => rowsOfLive(d10, dir) >= 200, 'rows in today');
        // 23:50: days 7 days old are compressed while the writer writes today.
        await run('2026-03-10T23:50:00Z');
        // Midnight: the writer opens the new day and closes the old one, while a run is already under way (its seal
        // of the old day finds the writer, or not, depending on who is first: busy is retried, never a failure).
        const racing = run('2026-03-11T00:20:00Z');
        await writer.switchTo(d11);
        await racing;
        await until(() => rowsOfLive(d11, dir) >= 200, 'rows in the new day');
        await run('2026-03-18T00:40:00Z'); // a week later: more days to compress, the sealed 03-10 among them
      } finally {
        report = await writer.stop();
      }
      process.stdout.write(
        `writer: ${report.inserts} inserts, ${report.failures} failed; wait p50 ${report.p50Ms.toFixed(2)} ms, ` +
          `p99 ${report.p99Ms.toFixed(2)} ms, max ${report.maxMs.toFixed(2)} ms (not asserted here; see the benchmark)\n` +
          `runs: ${runs.map((r) => `${r.now} ${r.ms} ms: ${r.steps}`).join('; ')}\n`,
      );
      expect(report.failures).toBe(0);
      expect(writer.log).not.toMatch(/insert failed/);

      const meta = readMeta(root);
      const committed10 = report.committed[d10] ?? -1;
      const committed11 = report.committed[d11] ?? -1;
      expect(committed10).toBeGreaterThan(0);
      expect(meta.days['ticks/2026-03-10']?.state).toMatch(/sealed|compressed/);
      expect(meta.days['ticks/2026-03-10']?.rows).toBe(committed10);
      expect(rowsOfLive(d11, dir)).toBe(committed11);
      const after = dayViews(root, join(dir, 'scratch'));
      expect(after.get('ticks/2026-03-10')?.rows).toBe(committed10);
      for (const [key, v] of before) {
        if (key >= 'ticks/2026-03-10') continue;
        expect({ key, rows: after.get(key)?.rows, digest: after.get(key)?.digest }).toEqual({
          key,
          rows: v.rows,
          digest: v.digest,
        });
      }
      expect([...after.values()].filter((v) => v.where === 'zst').length).toBeGreaterThanOrEqual(4);
      expect(tmpFiles(root)).toEqual([]);
    });
  },
);
