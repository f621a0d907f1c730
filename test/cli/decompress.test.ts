import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJson, runCli } from '../helpers/cli.js';
import { usePristineTree } from '../helpers/pristine-tree.js';
import { rowsDigest, snapshot, zstdCompress } from '../helpers/tree.js';
import { needProgram } from '../helpers/external-programs.js';

const NOW = '2026-03-10T12:00:00Z';
// Ages 1-2 sealed, 3-5 compressed in db/, 6-8 archived; all backed up.
const ENV = { TICKDB_COMPRESSION_LEVEL: '3', TICKDB_COMPRESS_AFTER_DAYS: '3', TICKDB_ARCHIVE_AFTER_DAYS: '6' };
const tree = usePristineTree({ days: 8, rows: 300, now: NOW, env: ENV });

interface Doc {
  source: string;
  output: string;
  day: string | null;
  bytes: number;
  sha256: string;
  frames: number;
  verifiedBy: string;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const path = (tier: string, day: string, ext: string): string =>
  join(tree.root, tier, day.slice(0, 4), day.slice(5, 7), `ticks_${day}${ext}`);
/** A folder outside the tree to run the CLI in (the default output goes to the working directory). */
const workDir = (): string => {
  const d = join(dirname(tree.root), 'investigation');
  mkdirSync(d, { recursive: true });
  return d;
};
const decompress = (args: string[], cwd = workDir()) =>
  runCli(['decompress', ...args, '--root', tree.root, '--now', NOW], { env: ENV, cwd });
/** Every file of the tree; the runs below must leave it exactly so (decompress changes nothing stored). */
const treeState = (): Map<string, string> => snapshot(tree.root, (name) => name === 'tickdb.lock');

describe.skipIf(!needProgram('zstd', 'sqlite3'))('tickdb decompress', () => {
  it('restores a compressed day to ./ticks_DAY.db, byte-identical to the sealed day, leaving the tree untouched', () => {
    const before = treeState();
    const r = decompress(['2026-03-06', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson<Doc>(r.stdout);
    const out = join(workDir(), 'ticks_2026-03-06.db');
    expect(doc).toMatchObject({
      source: path('db', '2026-03-06', '.db.zst'),
      output: out,
      day: '2026-03-06',
      verifiedBy: 'recorded SHA-256',
    });
    // The backup is the sealed day's byte-identical copy: the restored file must be the same bytes.
    const backup = path('backup', '2026-03-06', '.db');
    expect(sha256(out)).toBe(sha256(backup));
    expect(doc.sha256).toBe(sha256(backup));
    expect(doc.bytes).toBe(statSync(backup).size);
    expect(rowsDigest(out)).toEqual(rowsDigest(backup));
    expect(rowsDigest(out).rows).toBe(300);
    expect(treeState()).toEqual(before);
    expect(readdirSync(workDir()).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('restores an archived day, also with --sync, to the file named by -o', () => {
    const out = join(workDir(), 'archived.db');
    const r = decompress(['2026-03-03', '-o', out, '--sync']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(path('archive', '2026-03-03', '.db.zst'));
    expect(r.stdout).toContain('verified by recorded SHA-256');
    expect(sha256(out)).toBe(sha256(path('backup', '2026-03-03', '.db')));
  });

  it('refuses to overwrite an existing output without --force, and overwrites it with --force', () => {
    const out = join(workDir(), 'ticks_2026-03-07.db');
    writeFileSync(out, "an analyst's notes, not to be lost");
    const refused = decompress(['2026-03-07']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(out);
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(out, 'utf8')).toBe("an analyst's notes, not to be lost");

    const forced = decompress(['2026-03-07', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(sha256(out)).toBe(sha256(path('backup', '2026-03-07', '.db')));
  });

  it('never writes inside a tier (exit 2), and says so', () => {
    const before = treeState();
    const inside = join(tree.root, 'db', 'restored.db');
    const r = decompress(['2026-03-06', '-o', inside]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(inside);
    expect(existsSync(inside)).toBe(false);
    expect(treeState()).toEqual(before);
  });

  it('decompresses a .db.zst made by the zstd CLI, with no recorded hash, verified by the SQLite integrity check', () => {
    const zst = join(workDir(), 'legacy.db.zst');
    zstdCompress(path('backup', '2026-03-08', '.db'), zst, 19);
    const r = decompress([zst, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = parseJson<Doc>(r.stdout);
    expect(doc).toMatchObject({
      output: join(workDir(), 'legacy.db'),
      frames: 1,
      verifiedBy: 'SQLite integrity check (no hash recorded)',
    });
    expect(sha256(doc.output)).toBe(sha256(path('backup', '2026-03-08', '.db')));
  });

  it('a stored copy that does not decompress to its recorded SHA-256: exit 1 naming it, no output, tree untouched', () => {
    // Another valid database in the place of 2026-03-05: standard zstd, but not the sealed day.
    const stored = path('db', '2026-03-05', '.db.zst');
    zstdCompress(path('backup', '2026-03-04', '.db'), stored, 3);
    const before = treeState();
    const r = decompress(['2026-03-05']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(stored);
    expect(r.stderr).toMatch(/not the recorded/);
    expect(readdirSync(workDir())).toEqual([]);
    expect(treeState()).toEqual(before);
  });

  it('a damaged stored copy: exit 1 naming the file and the frame, no output, no .tmp left', () => {
    const stored = path('db', '2026-03-05', '.db.zst');
    const bytes = readFileSync(stored);
    const at = Math.floor(bytes.length / 3);
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    writeFileSync(stored, bytes);
    const r = decompress(['2026-03-05']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(stored);
    expect(r.stderr).toMatch(/frame 1/);
    expect(readdirSync(workDir())).toEqual([]);
  });

  it('a day with no compressed copy, and a bad argument, are errors that say what is wrong', () => {
    const sealed = decompress(['2026-03-09']);
    expect(sealed.code).not.toBe(0);
    expect(sealed.stderr).toMatch(/2026-03-09/);
    const bad = decompress(['yesterday']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('yesterday');
    expect(readdirSync(workDir())).toEqual([]);
  });
});
