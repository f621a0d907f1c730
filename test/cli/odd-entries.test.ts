import { spawnSync } from 'node:child_process';
import { copyFileSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJson, runCli, tempDir } from '../helpers/cli.js';
import { needProgram } from '../helpers/external-programs.js';

/**
 * Entries named like a day's file that are not regular files (issue 15, item 15a): a symlink to a file outside the
 * tree, a FIFO and a directory in place of three past days' databases. None is ever followed or opened; each is a
 * problem of `run` (exit 1), `status` (WARNING) and `verify` (non-zero), with the day's backup when there is one.
 */
const NOW = '2026-03-10T12:00:00Z';

interface StatusDoc {
  status: string;
  checks: { name: string; status: string; message: string; day?: string; path?: string }[];
}
interface VerifyDoc {
  ok: boolean;
  problems: { key: string; kind: string; path: string; found: string }[];
}

let dir: string;
let cleanup: () => void;
let root: string;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  root = join(dir, 'root');
});
afterEach(() => cleanup());

const tickdb = (args: string[]) =>
  runCli([...args, '--root', root, '--now', NOW], {
    env: { TICKDB_COMPRESS_AFTER_DAYS: '20', TICKDB_ARCHIVE_AFTER_DAYS: '30' },
  });
const dayDb = (day: string): string => join(root, 'db', day.slice(0, 4), day.slice(5, 7), `ticks_${day}.db`);
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Puts a symlink (to a copy outside the tree), a FIFO and a directory in place of three days' databases. */
function plant(): { outside: string; outsideSha: string } {
  const outside = join(dir, 'outside.db');
  copyFileSync(dayDb('2026-03-05'), outside);
  rmSync(dayDb('2026-03-05'));
  symlinkSync(outside, dayDb('2026-03-05'));
  rmSync(dayDb('2026-03-06'));
  expect(spawnSync('mkfifo', [dayDb('2026-03-06')]).status).toBe(0);
  rmSync(dayDb('2026-03-07'));
  mkdirSync(dayDb('2026-03-07'));
  copyFileSync(outside, join(dayDb('2026-03-07'), 'ticks_2026-03-07.db')); // a day file inside it must not be picked up
  return { outside, outsideSha: sha(outside) };
}

describe.skipIf(!needProgram('mkfifo'))('entries named like a day that are not regular files', () => {
  it('a legacy tree: run exits 1 naming each (day, path, kind), follows none; status warns; verify fails', () => {
    expect(tickdb(['simulate', '--days', '6', '--rows', '200']).code).toBe(0);
    const { outside, outsideSha } = plant();
    const outsideMode = statSync(outside).mode;

    const run = tickdb(['run', '--once']); // a run that opened the FIFO would block here until the test's timeout
    expect(run.code, run.stdout + run.stderr).toBe(1);
    for (const [day, kind] of [
      ['2026-03-05', 'symlink'],
      ['2026-03-06', 'fifo'],
      ['2026-03-07', 'directory'],
    ] as const) {
      expect(run.stdout).toContain(
        `PROBLEM: ${dayDb(day)}: a ${kind}, not a regular file, where ticks ${day}'s database should be; never followed`,
      );
    }
    expect(lstatSync(dayDb('2026-03-05')).isSymbolicLink()).toBe(true);
    expect(sha(outside)).toBe(outsideSha);
    expect(statSync(outside).mode).toBe(outsideMode); // not sealed read-only through the link
    expect(lstatSync(dayDb('2026-03-06')).isFIFO()).toBe(true);
    const meta = JSON.parse(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8')) as {
      days: Record<string, unknown>;
    };
    expect(meta.days['ticks/2026-03-05']).toBeUndefined();
    expect(meta.days['ticks/2026-03-07']).toBeUndefined();

    const status = tickdb(['status', '--json']);
    const doc = parseJson<StatusDoc>(status.stdout);
    const odd = doc.checks.filter((c) => c.name === 'metadata' && /not a regular file/.test(c.message));
    expect(odd.map((c) => [c.status, c.day, c.path])).toEqual([
      ['WARNING', '2026-03-05', dayDb('2026-03-05')],
      ['WARNING', '2026-03-06', dayDb('2026-03-06')],
      ['WARNING', '2026-03-07', dayDb('2026-03-07')],
    ]);
    expect(status.code).toBeGreaterThanOrEqual(1);

    const verify = tickdb(['verify', '--json']);
    expect(verify.code).toBe(1);
    const v = parseJson<VerifyDoc>(verify.stdout);
    expect(v.problems.filter((p) => p.kind === 'not-a-file').map((p) => [p.key, p.path])).toEqual([
      ['ticks/2026-03-05', dayDb('2026-03-05')],
      ['ticks/2026-03-06', dayDb('2026-03-06')],
      ['ticks/2026-03-07', dayDb('2026-03-07')],
    ]);
  });

  it('a day backed up before its database was replaced: the problem names the backup to restore from', () => {
    expect(tickdb(['simulate', '--days', '6', '--rows', '200']).code).toBe(0);
    expect(tickdb(['run', '--once']).code).toBe(0);
    const backup = join(root, 'backup', '2026', '03', 'ticks_2026-03-05.db');
    const backupSha = sha(backup);
    plant();
    const run = tickdb(['run', '--once']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`the day's backup is ${backup} (\`tickdb restore 2026-03-05 --from backup\``);
    expect(sha(backup)).toBe(backupSha);
  });
});
