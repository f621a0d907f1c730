import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync, closeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJson, runCli, tempDir, expectExit } from '../helpers/cli.js';
import { until, WriterProcess } from '../helpers/writer.js';
import { sha256File } from '../../src/fs/sha256.js';
import { needProgram } from '../helpers/external-programs.js';

const dayFile = (root: string, tier: string, day: string): string =>
  join(root, tier, day.slice(0, 4), day.slice(5, 7), `ticks_${day}.db`);

/** Counts rows on a copy, so that our reader never checkpoints the original. */
function countRows(path: string, scratch: string): number {
  const copy = join(scratch, `count-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(path, copy);
  if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
  const db = new Database(copy);
  try {
    return Number((db.prepare('SELECT count(*) AS n FROM ticks').get() as { n: number }).n);
  } finally {
    db.close();
  }
}

function metadata(root: string): {
  days: Record<
    string,
    {
      state: string;
      sha256?: string;
      rows?: number;
      busySince?: string;
      origin?: string;
      quarantine?: { reason: string };
    }
  >;
} {
  return JSON.parse(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8'));
}

describe.skipIf(!needProgram('sqlite3'))('rotate beside a live writer', () => {
  let root: string;
  let scratch: string;
  let cleanup: () => void;
  beforeEach(() => {
    const t = tempDir();
    root = join(t.dir, 'root with spaces');
    scratch = t.dir;
    cleanup = t.cleanup;
  });
  afterEach(() => cleanup());

  it('pre-creates today and tomorrow, seals a day only once the writer has moved on, and loses no committed row', async () => {
    const r1 = runCli(['rotate', '--root', root, '--now', '2026-03-10T23:50:00Z', '--json']);
    expect(r1.code, r1.stderr).toBe(0);
    const d10 = dayFile(root, 'db', '2026-03-10');
    const d11 = dayFile(root, 'db', '2026-03-11');
    expect(existsSync(d10) && existsSync(d11)).toBe(true);
    const header = readFileSync(d11).subarray(18, 20);
    expect([...header]).toEqual([2, 2]); // WAL mode in the file header

    const writer = new WriterProcess(d10, 2000);
    try {
      await writer.waitFor('ready');
      await until(() => countRows(d10, scratch) >= 300, 'rows in today');

      // 00:20 the next day: the writer has not moved on yet, so the day is busy (not a failure).
      const busy = runCli(['rotate', '--root', root, '--now', '2026-03-11T00:20:00Z', '--json']);
      expect(busy.code, busy.stderr).toBe(0);
      const busyReport = parseJson<{
        results: { step: { kind: string; day?: string }; outcome: { status: string } }[];
      }>(busy.stdout);
      expect(
        busyReport.results.find((r) => r.step.kind === 'seal' && r.step.day === '2026-03-10')?.outcome.status,
      ).toBe('busy');
      expect(metadata(root).days['ticks/2026-03-10']?.busySince).toBeDefined();
      expect(statSync(d10).mode & 0o222).not.toBe(0);

      // Midnight as a real writer does it: open the new day, close the old one; keep writing.
      await writer.switchTo(d11);
      await until(() => countRows(d11, scratch) >= 100, 'rows in the new day');
      const sealed = runCli(['rotate', '--root', root, '--now', '2026-03-11T00:40:00Z', '--json']);
      expect(sealed.code, sealed.stderr).toBe(0);
    } catch (err) {
      await writer.stop();
      throw err;
    }
    const report = await writer.stop();
    expect(report.failures).toBe(0);
    const committed = report.committed[d10];
    expect(committed).toBeGreaterThanOrEqual(300);
    const meta = metadata(root).days['ticks/2026-03-10'];
    expect(meta?.state).toBe('sealed');
    expect(meta?.rows).toBe(committed);
    expect(meta?.busySince).toBeUndefined();
    expect(statSync(d10).mode & 0o777).toBe(0o444);
    expect(existsSync(`${d10}-wal`)).toBe(false);
    const backup = dayFile(root, 'backup', '2026-03-10');
    expect((await sha256File(backup)).sha256).toBe(meta?.sha256);
    expect((await sha256File(d10)).sha256).toBe(meta?.sha256);
    expect(countRows(backup, scratch)).toBe(committed);
    // The independent checker agrees.
    expect(runSqlite(d10, 'PRAGMA integrity_check;')).toBe('ok');
  });

  it('records, without touching it, a database the writer created before the agent did', async () => {
    // The agent ran two days ago (it has metadata, and made 03-08 and 03-09); the writer then made 03-10 itself.
    expectExit(runCli(['rotate', '--root', root, '--now', '2026-03-08T06:00:00Z']));
    const today = dayFile(root, 'db', '2026-03-10');
    expect(existsSync(today)).toBe(false);
    mkdirSync(dirname(today), { recursive: true });
    const writer = new WriterProcess(today, 2000); // creates the file itself, as a trading engine may at midnight
    try {
      await writer.waitFor('ready');
      await until(() => countRows(today, scratch) >= 100, 'rows in today');
      const r = runCli(['rotate', '--root', root, '--now', '2026-03-10T06:00:00Z', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = parseJson<{
        results: { step: { kind: string; day?: string }; outcome: { status: string; message: string } }[];
      }>(r.stdout);
      const step = report.results.find((x) => x.step.kind === 'precreate' && x.step.day === '2026-03-10');
      expect(step?.outcome).toMatchObject({
        status: 'done',
        message: expect.stringContaining('already there') as unknown,
      });
      expect(metadata(root).days['ticks/2026-03-10']).toMatchObject({ state: 'live', origin: 'found' });
      const events = readFileSync(join(root, 'db', 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; path?: string });
      expect(events.filter((e) => e.path === today).map((e) => e.event)).toEqual(['found-live']);
      // A second run has nothing more to record.
      const again = parseJson<{ results: { step: { kind: string; day?: string } }[] }>(
        runCli(['rotate', '--root', root, '--now', '2026-03-10T06:10:00Z', '--json']).stdout,
      );
      expect(again.results.some((x) => x.step.kind === 'precreate' && x.step.day === '2026-03-10')).toBe(false);
    } finally {
      await writer.stop();
    }
    expect(countRows(today, scratch)).toBeGreaterThanOrEqual(100);
  });

  it('folds the rows a crashed writer left only in the -wal into the sealed file', async () => {
    runCli(['rotate', '--root', root, '--now', '2026-03-10T12:00:00Z']);
    const d10 = dayFile(root, 'db', '2026-03-10');
    const writer = new WriterProcess(d10, 3000);
    await writer.waitFor('ready');
    await until(() => countRows(d10, scratch) >= 500, 'rows in today');
    await writer.kill9();
    expect(statSync(`${d10}-wal`).size).toBeGreaterThan(0);
    const committed = countRows(d10, scratch);

    const r = runCli(['rotate', '--root', root, '--now', '2026-03-11T01:00:00Z', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(metadata(root).days['ticks/2026-03-10']?.rows).toBe(committed);
    expect(existsSync(`${d10}-wal`)).toBe(false);
    const audit = readFileSync(join(root, 'db', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; walBytesFolded?: number });
    expect(audit.find((a) => a.event === 'sealed')?.walBytesFolded).toBeGreaterThan(0);
    expect(runSqlite(d10, 'SELECT count(*) FROM ticks;')).toBe(String(committed));
  });

  it('does nothing to yesterday before midnight + grace, and nothing fails', () => {
    runCli(['simulate', '--days', '1', '--rows', '100', '--root', root, '--now', '2026-03-11T00:05:00Z']);
    const r = runCli(['rotate', '--root', root, '--now', '2026-03-11T00:05:00Z', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = parseJson<{ results: { step: { kind: string } }[]; notes: { kind: string; day?: string }[] }>(
      r.stdout,
    );
    expect(report.results.some((x) => x.step.kind === 'seal')).toBe(false);
    expect(report.notes.some((n) => n.kind === 'not-due' && n.day === '2026-03-10')).toBe(true);
    const later = runCli(['rotate', '--root', root, '--now', '2026-03-11T00:16:00Z']);
    expect(later.code, later.stderr).toBe(0);
    expect(metadata(root).days['ticks/2026-03-10']?.state).toBe('sealed');
  });

  it('quarantines a corrupt database, exits 1 naming it, and still seals the other days', async () => {
    runCli(['simulate', '--days', '3', '--rows', '2000', '--root', root, '--now', '2026-03-11T12:00:00Z']);
    const bad = dayFile(root, 'db', '2026-03-09');
    const fd = openSync(bad, 'r+');
    writeSync(fd, Buffer.alloc(8192, 0x5a), 0, 8192, 4096 * 3);
    closeSync(fd);
    const before = (await sha256File(bad)).sha256;
    const r = runCli(['rotate', '--root', root, '--now', '2026-03-11T12:00:00Z']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(bad);
    expect(r.stdout).toMatch(/quarantined/);
    const meta = metadata(root);
    expect(meta.days['ticks/2026-03-09']?.state).toBe('quarantined');
    expect(meta.days['ticks/2026-03-09']?.quarantine?.reason).toMatch(/integrity|malformed|not a/i);
    expect(meta.days['ticks/2026-03-08']?.state).toBe('sealed');
    expect(meta.days['ticks/2026-03-10']?.state).toBe('sealed');
    expect((await sha256File(bad)).sha256).toBe(before);
    expect(existsSync(dayFile(root, 'backup', '2026-03-09'))).toBe(false);
    // Skipped by later runs, never compressed or purged.
    const later = runCli(['run', '--once', '--root', root, '--now', '2026-03-30T12:00:00Z'], {
      env: { TICKDB_COMPRESSION_LEVEL: '3' },
    });
    expect(later.code, later.stderr).toBe(0);
    expect(existsSync(bad)).toBe(true);
    expect(metadata(root).days['ticks/2026-03-09']?.state).toBe('quarantined');
  });
});

function runSqlite(path: string, sql: string): string {
  const r = spawnSync('sqlite3', ['-readonly', path, sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return r.stdout.trim();
}
