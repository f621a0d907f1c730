import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, parseJson, runCli, tempDir, type CliResult, expectExit } from '../helpers/cli.js';
import { dayViews, readMeta, tmpFiles } from '../helpers/faults.js';
import { snapshot, zstdCompress } from '../helpers/tree.js';
import { needProgram } from '../helpers/external-programs.js';

/**
 * The bad-input catalogue (DESIGN 3: a clear error naming the file and what is wrong, and nothing deleted).
 * One tree holds every bad day at once, beside good ones: one `run --once`, one `status`, then a run 200 days
 * later, when every one of those days would be compressed, archived and purged if it were not quarantined.
 */
const NOW = '2026-03-14T12:00:00Z';
const LATER = '2026-10-01T12:00:00Z';
const ENV = { TICKDB_COMPRESSION_LEVEL: '3' };
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const dayFile = (root: string, day: string, ext = '.db'): string =>
  join(root, 'db', day.slice(0, 4), day.slice(5, 7), `ticks_${day}${ext}`);

const BAD = {
  garbage: '2026-03-04', // random bytes named like a database
  empty: '2026-03-05', // zero-byte .db
  truncatedZst: '2026-03-06', // the first 3000 bytes of a real .zst
  notSqliteZst: '2026-03-07', // a .zst of text
  twice: '2026-03-08', // .db and a .db.zst of another day's data
};

describe.skipIf(!needProgram('zstd', 'sqlite3'))(
  'bad input: quarantined or refused with a message naming the file; nothing deleted',
  () => {
    let dir: string;
    let cleanup: () => void;
    let root: string;
    let first: CliResult;
    let status: CliResult;
    let later: CliResult;
    let badHashes: Map<string, string>;
    const badPaths: string[] = [];

    beforeAll(() => {
      ({ dir, cleanup } = tempDir('tickdb-bad-'));
      root = join(dir, 'root');
      expectExit(runCli(['simulate', '--days', '10', '--rows', '300', '--root', root, '--now', NOW]));
      const rnd = Buffer.alloc(50_000);
      for (let i = 0; i < rnd.length; i++) rnd[i] = (i * 7919 + 13) % 251;
      writeFileSync(dayFile(root, BAD.garbage), rnd);
      writeFileSync(dayFile(root, BAD.empty), '');
      rmSync(`${dayFile(root, BAD.empty)}-wal`, { force: true });
      const scratch = join(dir, 'x.zst');
      zstdCompress(dayFile(root, BAD.truncatedZst), scratch);
      writeFileSync(dayFile(root, BAD.truncatedZst, '.db.zst'), readFileSync(scratch).subarray(0, 3000));
      rmSync(dayFile(root, BAD.truncatedZst));
      const text = join(dir, 'notes.txt');
      writeFileSync(text, 'not a database\n'.repeat(5000));
      zstdCompress(text, dayFile(root, BAD.notSqliteZst, '.db.zst'));
      rmSync(dayFile(root, BAD.notSqliteZst));
      zstdCompress(dayFile(root, '2026-03-09'), dayFile(root, BAD.twice, '.db.zst'));
      mkdirSync(dirname(dayFile(root, '2026-02-30')), { recursive: true });
      writeFileSync(dayFile(root, '2026-02-30'), readFileSync(dayFile(root, '2026-03-10'))); // impossible date
      badPaths.push(
        dayFile(root, BAD.garbage),
        dayFile(root, BAD.empty),
        dayFile(root, BAD.truncatedZst, '.db.zst'),
        dayFile(root, BAD.notSqliteZst, '.db.zst'),
        dayFile(root, BAD.twice),
        dayFile(root, BAD.twice, '.db.zst'),
        dayFile(root, '2026-02-30'),
      );
      const snap = snapshot(root);
      badHashes = new Map(badPaths.map((p) => [p, snap.get(p) ?? 'missing']));
      first = runCli(['run', '--once', '--root', root, '--now', NOW], { env: ENV });
      status = runCli(['status', '--root', root, '--now', NOW]);
    });
    afterAll(() => cleanup());

    const quarantined = (day: string): { state: string; quarantine?: { reason: string } } | undefined =>
      readMeta(root).days[`ticks/${day}`];

    it('the run reports failure (exit 1) and still does the good days', () => {
      expect(first.code, first.stderr).toBe(1);
      expect(first.stdout).toMatch(/5 failed or quarantined/);
      for (const day of ['2026-03-09', '2026-03-10', '2026-03-13'])
        expect(quarantined(day)?.state, day).toMatch(/sealed|compressed/);
    });

    it.each([
      ['a garbage file named like a database', BAD.garbage, '.db', /not a database/],
      ['a zero-byte .db', BAD.empty, '.db', /zero-byte file/],
      ['a truncated .zst', BAD.truncatedZst, '.db.zst', /truncated/],
      ['a .zst of something that is not SQLite', BAD.notSqliteZst, '.db.zst', /not a database/],
      ['a day present as .db and .db.zst with different contents', BAD.twice, '.db', /present 2 times/],
    ])('%s: quarantined, named in the run output and in status, left in place', (_what, day, ext, reason) => {
      const path = dayFile(root, day, ext);
      const line = first.stdout.split('\n').find((l) => l.includes(`ticks/${day}`) && l.includes('quarantined'));
      expect(line, first.stdout).toBeDefined();
      expect(line).toContain(path);
      expect(line).toMatch(reason);
      const rec = quarantined(day);
      expect(rec?.state).toBe('quarantined');
      expect(rec?.quarantine?.reason).toMatch(reason);
      expect(status.code).toBe(2); // CRITICAL
      expect(status.stdout).toMatch(
        new RegExp(`CRITICAL\\s+quarantine\\s+ticks/${day} is quarantined.*${reason.source}`),
      );
      expect(snapshot(root).get(path)).toBe(badHashes.get(path));
    });

    it('a file name with an impossible date: a warning naming it, reported by status, left alone', () => {
      const path = dayFile(root, '2026-02-30');
      expect(first.stderr).toContain(`${path}: impossible date 2026-02-30; left alone`);
      expect(status.stdout).toMatch(/WARNING\s+metadata\s+.*ticks_2026-02-30\.db: impossible date 2026-02-30/);
      expect(snapshot(root).get(path)).toBe(badHashes.get(path));
    });

    it('200 days later, no quarantined file has been compressed over, archived or purged', () => {
      const config = join(dir, 'short.json');
      writeFileSync(
        config,
        JSON.stringify({ compressAfterDays: 2, archiveAfterDays: 4, purgeAfterDays: 100, maxPurgeDaysPerRun: 100 }),
      );
      later = runCli(['run', '--once', '--root', root, '--config', config, '--now', LATER], { env: ENV });
      expect(later.code, `${later.stdout}\n${later.stderr}`).toBe(0);
      for (const day of Object.values(BAD))
        expect(later.stdout).not.toMatch(new RegExp(`purge\\s+purge\\s+ticks/${day}`));
      const snap = snapshot(root);
      for (const path of badPaths) expect(snap.get(path), path).toBe(badHashes.get(path));
      expect(quarantined('2026-03-09')?.state).toBe('purged'); // a good day of the same age is gone
      expect(tmpFiles(root)).toEqual([]);
    });
  },
);

describe.skipIf(!needProgram('zstd', 'sqlite3'))('bad state files', () => {
  let dir: string;
  let cleanup: () => void;
  let root: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('tickdb-bad-'));
    root = join(dir, 'root');
    expectExit(runCli(['simulate', '--days', '4', '--rows', '300', '--root', root, '--now', NOW]));
    const r = runCli(['run', '--once', '--root', root, '--now', NOW], { env: ENV });
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => cleanup());

  it('a metadata file that is not JSON is kept aside (named), the state rebuilt from disk, every row kept', () => {
    const meta = join(root, 'db', 'rotation_metadata.json');
    const before = dayViews(root, join(dir, 'scratch'));
    writeFileSync(meta, '{"schemaVersion": 1, "days": {"ticks/2026-03-1');
    const r = runCli(['run', '--once', '--root', root, '--now', NOW], { env: ENV });
    expect(r.code, r.stderr).toBe(0);
    const aside = readdirSync(join(root, 'db')).filter((n) => n.startsWith('rotation_metadata.json.unreadable-'));
    expect(aside).toHaveLength(1);
    expect(r.stdout).toContain(`kept aside as ${join(root, 'db', aside[0] ?? '')}`);
    expect(r.stderr).toMatch(/rotation_metadata\.json is not JSON/);
    expect(readFileSync(join(root, 'db', aside[0] ?? ''), 'utf8')).toBe(
      '{"schemaVersion": 1, "days": {"ticks/2026-03-1',
    );
    expect(Object.fromEntries(dayViews(root, join(dir, 'scratch')))).toEqual(Object.fromEntries(before));
    expect(readMeta(root).days['ticks/2026-03-12']?.state).toBe('sealed');
    expectExit(runCli(['audit', 'verify', '--root', root]));
  });

  it('an audit line edited by hand: audit verify and status name the line; runs go on and never rewrite it', () => {
    const path = join(root, 'db', 'audit.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    const edited = JSON.parse(lines[1] ?? '') as Record<string, unknown>;
    edited.path = '/elsewhere/ticks.db';
    lines[1] = JSON.stringify(edited);
    writeFileSync(path, lines.join('\n'));
    const verify = runCli(['audit', 'verify', '--root', root]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/^2\s+edited\s+line 2 .*does not match its hash/m);
    const st = runCli(['status', '--root', root, '--now', NOW]);
    expect(st.code).toBe(2);
    expect(st.stdout).toMatch(/CRITICAL\s+audit\s.*line 2: content does not match its hash \(edited\)/);
    const r = runCli(['run', '--once', '--root', root, '--now', '2026-03-16T12:00:00Z'], { env: ENV });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path, 'utf8').startsWith(lines.join('\n'))).toBe(true);
    const again = runCli(['audit', 'verify', '--root', root, '--json']);
    expect(again.code).toBe(1);
    expect(JSON.stringify(parseJson(again.stdout))).toMatch(/edited/);
  });
});

/** How to run the CLI as a user who cannot write the tree: `nobody` when we are root, else ourselves. */
function asUnprivileged(): { run: (args: string[]) => CliResult; why?: string } {
  if (process.getuid?.() !== 0) return { run: (args) => runCli(args) };
  if (!existsSync('/usr/bin/setpriv'))
    return { run: () => ({ code: null, signal: null, stdout: '', stderr: '' }), why: 'no /usr/bin/setpriv' };
  const run = (args: string[]): CliResult => {
    const r = spawnSync(
      '/usr/bin/setpriv',
      ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, BIN, ...args],
      { encoding: 'utf8', cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' } },
    );
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  };
  const probe = run(['--version']);
  return probe.code === 0 ? { run } : { run, why: `nobody cannot run ${BIN}: ${probe.stderr.trim()}` };
}

describe.skipIf(!needProgram('zstd', 'sqlite3'))('a root the agent cannot write', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('tickdb-ro-'));
    chmodSync(dir, 0o755); // mkdtemp makes it 0700: let the unprivileged user reach the tree (and nothing more)
  });
  afterAll(() => cleanup());

  it('refuses before it changes anything: exit 1 naming the lock file, permission denied, with a hint', (ctx) => {
    const who = asUnprivileged();
    if (who.why !== undefined) {
      process.stdout.write(`skipped: ${who.why}\n`);
      ctx.skip();
    }
    const root = join(dir, 'root');
    expectExit(runCli(['simulate', '--days', '3', '--rows', '300', '--root', root, '--now', NOW]));
    if (process.getuid?.() !== 0) chmodSync(join(root, 'db'), 0o555);
    const snap = snapshot(root);
    const r = who.run(['run', '--once', '--root', root, '--now', NOW]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`create lock failed for ${join(root, 'db', 'tickdb.lock')}: EACCES: permission denied`);
    expect(r.stderr).toMatch(/hint: the db\/ directory must exist and be writable by the agent/);
    expect(snapshot(root)).toEqual(snap);
    if (process.getuid?.() !== 0) chmodSync(join(root, 'db'), 0o755);
  });

  it('a backup tier it cannot write: the day is sealed, its backup fails naming the folder, no .tmp left', (ctx) => {
    const who = asUnprivileged();
    if (who.why !== undefined || process.getuid?.() !== 0) {
      process.stdout.write(`skipped: ${who.why ?? 'needs root to hand db/ to another user'}\n`);
      ctx.skip();
    }
    const root = join(dir, 'root2');
    expectExit(runCli(['simulate', '--days', '2', '--rows', '300', '--root', root, '--now', NOW]));
    spawnSync('chown', ['-R', 'nobody:nogroup', join(root, 'db')]);
    const r = who.run(['run', '--once', '--root', root, '--now', NOW]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(`backup .*failed.*EACCES: permission denied, mkdir '${escapeRe(join(root, 'backup'))}`),
    );
    expect(readMeta(root).days['ticks/2026-03-13']?.state).toBe('sealed');
    expect(readMeta(root).jobs.rotate?.ok).toBe(false);
    expect(tmpFiles(root)).toEqual([]);
    expect(existsSync(dayFile(root, '2026-03-13'))).toBe(true);
  });
});
