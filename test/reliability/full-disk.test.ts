import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, type CliResult, expectExit } from '../helpers/cli.js';
import { NOW0, NOW1, POLICY } from '../helpers/crash-scenarios.js';
import { copyTree, dayViews, listFiles, readMeta, tmpFiles, type DayView } from '../helpers/faults.js';
import { snapshot } from '../helpers/tree.js';
import { needProgram } from '../helpers/external-programs.js';

/**
 * A full disk while a `.tmp` is written (DESIGN 3): the step is rolled back (its `.tmp` removed), the source
 * stays, the failure is recorded in metadata.jobs and reported by `status`, and the next run, with space again,
 * completes. Simulated with `TICKDB_FAULT=enospc:<site>` (every write at that site fails with ENOSPC), and for
 * real on a small tmpfs when this machine lets us mount one.
 */
const ENV = { TICKDB_COMPRESSION_LEVEL: '1' };
const NO_SPACE = /no space left on device/;

describe.skipIf(!needProgram('zstd', 'sqlite3'))('full disk (ENOSPC)', () => {
  let dir: string;
  let cleanup: () => void;
  let config: string;
  let raw: string;
  let staged: string;
  const mounts: string[] = [];

  beforeAll(() => {
    ({ dir, cleanup } = tempDir('tickdb-enospc-'));
    config = join(dir, 'tickdb.json');
    writeFileSync(config, JSON.stringify(POLICY));
    raw = join(dir, 'raw');
    expectExit(runCli(['simulate', '--days', '7', '--rows', '2000', '--root', raw, '--now', NOW0]));
    staged = join(dir, 'staged');
    copyTree(raw, staged);
    expectExit(runCli(['run', '--once', '--root', staged, '--config', config, '--now', NOW0], { env: ENV }));
  });
  afterAll(() => {
    for (const m of mounts) spawnSync('umount', [m]);
    cleanup();
  });

  const run = (root: string, now: string, env: Record<string, string> = {}, cfg = config): CliResult =>
    runCli(['run', '--once', '--root', root, '--config', cfg, '--now', now], { env: { ...ENV, ...env } });

  /**
   * The failed run left no .tmp and every day's rows as they were (`before`), with no move pending; metadata.jobs
   * and `status` name the failure; a run with space again completes.
   */
  function expectRolledBack(
    root: string,
    before: Map<string, DayView>,
    failed: CliResult,
    job: string,
    now: string,
    cfg = config,
  ): void {
    expect(failed.code, failed.stderr).toBe(1);
    expect(tmpFiles(root)).toEqual([]);
    const views = dayViews(root, join(dir, 'scratch'));
    const meta = readMeta(root);
    for (const [key, v] of before) {
      if (meta.days[key]?.state === 'purged') continue; // past purgeAfterDays: purged by the same run, as it should be
      expect({ key, rows: views.get(key)?.rows, digest: views.get(key)?.digest }).toEqual({
        key,
        rows: v.rows,
        digest: v.digest,
      });
    }
    expect(meta.jobs[job]?.ok).toBe(false);
    expect(meta.jobs[job]?.errors.join('\n')).toMatch(NO_SPACE);
    for (const [key, rec] of Object.entries(meta.days)) expect(rec.pendingDelete, key).toBeUndefined();
    const status = runCli(['status', '--root', root, '--config', cfg, '--now', now]);
    expect(status.code).toBeGreaterThanOrEqual(1);
    expect(status.stdout).toMatch(
      new RegExp(`(WARNING|CRITICAL)\\s+jobs\\s+the last ${job} run .* failed: .*no space left on device`),
    );
    const again = run(root, now, {}, cfg);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(tmpFiles(root)).toEqual([]);
    const healed = dayViews(root, join(dir, 'scratch'));
    for (const [key, v] of before) {
      const h = healed.get(key);
      if (h !== undefined && h.where !== 'none')
        expect({ key, rows: h.rows, digest: h.digest }).toEqual({ key, rows: v.rows, digest: v.digest });
    }
  }

  it('enospc:compress: the compression is rolled back and the sealed .db stays, then redone', () => {
    const root = join(dir, 'compress');
    copyTree(raw, root);
    const before = dayViews(root, join(dir, 'scratch'));
    const r = run(root, NOW0, { TICKDB_FAULT: 'enospc:compress' });
    expect(r.stdout).toMatch(
      /compress\s+compress\s+ticks\/2026-03-\d\d.*failed\s+write failed: no space left on device: .*\.db\.zst\.\d+\.tmp; hint: free space/,
    );
    const meta = readMeta(root);
    const due = ['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12'].map((d) => `ticks/${d}`);
    const views = dayViews(root, join(dir, 'scratch'));
    for (const key of due) {
      expect({
        key,
        state: meta.days[key]?.state,
        zst: meta.days[key]?.zstSha256,
        where: views.get(key)?.where,
      }).toEqual({ key, state: 'sealed', zst: undefined, where: 'db' });
    }
    expectRolledBack(root, before, r, 'compress', NOW0);
    for (const key of due) expect(readMeta(root).days[key]?.state, key).toMatch(/compressed|archived/);
  });

  it('enospc:copy in the archive step: the copy is removed, the .zst stays in db/, then archived', () => {
    const root = join(dir, 'archive');
    copyTree(staged, root);
    const before = dayViews(root, join(dir, 'scratch'));
    const r = run(root, NOW1, { TICKDB_FAULT: 'enospc:copy' });
    expect(r.stdout).toMatch(
      /archive\s+archive\s+ticks\/.*failed\s+write failed: no space left on device: .*archive\/.*\.db\.zst\.\d+\.tmp/,
    );
    expect(r.stdout).toMatch(/rotate\s+backup\s+ticks\/.*failed\s+write failed: no space left on device: .*backup\//);
    const zstInDb = new Map([...before].filter(([, v]) => v.where === 'zst'));
    expect(zstInDb.size).toBeGreaterThan(0);
    const views = dayViews(root, join(dir, 'scratch'));
    for (const k of zstInDb.keys()) expect({ k, where: views.get(k)?.where }).toEqual({ k, where: 'zst' });
    expectRolledBack(root, zstInDb, r, 'archive', NOW1);
    for (const k of zstInDb.keys()) expect(readMeta(root).days[k]?.state, k).toBe('archived');
  });

  it('enospc:state: no metadata can be written; the run fails naming the file, loses nothing, and the next completes', () => {
    const root = join(dir, 'state');
    copyTree(staged, root);
    const snap = snapshot(root, (n) => n.endsWith('.prom'));
    const before = dayViews(root, join(dir, 'scratch'));
    const r = run(root, NOW1, { TICKDB_FAULT: 'enospc:state' });
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toMatch(/no space left on device: .*rotation_metadata\.json\.\d+\.tmp/);
    expect(tmpFiles(root)).toEqual([]);
    const views = dayViews(root, join(dir, 'scratch'));
    for (const [key, v] of before) expect({ key, ...views.get(key) }).toEqual({ key, ...v }); // (today and tomorrow may be new)
    expect(
      snapshot(root, (n) => n.endsWith('.prom') || n === 'tickdb.lock').get(join(root, 'db', 'rotation_metadata.json')),
    ).toBe(snap.get(join(root, 'db', 'rotation_metadata.json')));
    const again = run(root, NOW1);
    expect(again.code, again.stderr).toBe(0);
    expect(tmpFiles(root)).toEqual([]);
  });

  it('a real full filesystem: the archive tier on a 256 KiB tmpfs', (ctx) => {
    const mnt = join(dir, 'small-fs');
    mkdirSync(mnt);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { encoding: 'utf8' });
    if (m.status !== 0) {
      process.stdout.write(
        `skipped the real tmpfs case (the fault-injection cases above still ran): mount failed: ${m.stderr.trim() || m.error?.message}\n`,
      );
      ctx.skip();
    }
    mounts.push(mnt);
    const root = join(dir, 'real');
    expectExit(runCli(['simulate', '--days', '6', '--rows', '5000', '--root', root, '--now', NOW0]));
    const cfg = join(dir, 'small.json');
    writeFileSync(
      cfg,
      JSON.stringify({ compressAfterDays: 2, archiveAfterDays: 3, purgeAfterDays: 30, archiveDir: mnt }),
    );
    const before = dayViews(root, join(dir, 'scratch'));
    const r = run(root, NOW0, {}, cfg);
    expect(r.stdout).toMatch(
      new RegExp(`compress\\s+compress\\s+ticks/.*failed\\s+write failed: no space left on device: ${mnt}/`),
    );
    const meta = readMeta(root);
    const views = dayViews(root, join(dir, 'scratch'));
    // Ages 3..6 go straight to the archive tier; those that did not fit stay sealed in db/.
    const failed = ['2026-03-08', '2026-03-09', '2026-03-10', '2026-03-11']
      .map((d) => `ticks/${d}`)
      .filter((k) => meta.days[k]?.state === 'sealed');
    expect(failed.length).toBeGreaterThan(0);
    for (const k of failed)
      expect({ k, zst: meta.days[k]?.zstSha256, where: views.get(k)?.where }).toEqual({
        k,
        zst: undefined,
        where: 'db',
      });
    expect(listFiles(mnt).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(spawnSync('mount', ['-o', 'remount,size=16m', mnt]).status).toBe(0);
    expectRolledBack(root, before, r, 'compress', NOW0, cfg);
    for (const k of failed) expect(readMeta(root).days[k]?.state, k).toBe('archived');
  });
});
