import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readWal, versionText, walChecksum } from '../../../src/sqlite/wal-file.js';
import { tempDir } from '../../helpers/cli.js';
import { needProgram } from '../../helpers/external-programs.js';

/** A database in WAL mode whose connection stays open (so the -wal stays), with `rows` rows committed. */
function openWal(path: string, rows: number): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE IF NOT EXISTS ticks (ts INTEGER, symbol TEXT, pad TEXT)');
  insert(db, rows);
  return db;
}

function insert(db: Database.Database, rows: number): void {
  const stmt = db.prepare('INSERT INTO ticks VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) stmt.run(i, 'SYM', 'x'.repeat(100));
  })();
}

const betterSqliteVersion = (): string =>
  (new Database(':memory:').prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;

describe('readWal', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('tickdb-wal-'));
  });
  afterEach(() => cleanup());

  it('reports no -wal for a database in rollback mode, and the writer from the file header', async () => {
    const path = join(dir, 'a.db');
    const db = new Database(path);
    db.exec('CREATE TABLE t (x)');
    db.close();
    const r = await readWal(path);
    expect(r.wal).toEqual({ walBytes: 0, committedFrames: 0 });
    expect(r.writer).toMatchObject({ source: 'database', valid: true, text: betterSqliteVersion() });
  });

  it('counts committed frames, reads the generation, and finds page 1 in the -wal once the database grows', async () => {
    const path = join(dir, 'b.db');
    const db = openWal(path, 2000);
    try {
      const r = await readWal(path);
      const walBytes = readFileSync(`${path}-wal`).length;
      expect(r.wal.walBytes).toBe(walBytes);
      expect(r.wal.pageSize).toBe(4096);
      // every frame written so far is committed: the file holds exactly that many frames after its 32-byte header
      expect(r.wal.committedFrames).toBe((walBytes - 32) / (24 + 4096));
      expect(r.wal.generation?.salt1).toBeTypeOf('number');
      expect(r.writer).toMatchObject({ source: 'wal', valid: true, text: betterSqliteVersion() });
    } finally {
      db.close();
    }
  });

  it('reads from the -shm how far the last checkpoint got: held back by a reader, complete without one', async () => {
    const path = join(dir, 'g.db');
    const db = openWal(path, 200);
    const reader = new Database(path, { readonly: true });
    try {
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM ticks').get();
      insert(db, 500);
      db.pragma('wal_checkpoint(PASSIVE)');
      const held = await readWal(path);
      expect(held.wal.backfilledFrames).toBeLessThan(held.wal.committedFrames);
      reader.exec('COMMIT');
      db.pragma('wal_checkpoint(PASSIVE)');
      const done = await readWal(path);
      expect(done.wal.backfilledFrames).toBe(done.wal.committedFrames);
    } finally {
      reader.close();
      db.close();
    }
  });

  it('resumes from a previous scan of the same generation and reaches the same answer as a fresh one', async () => {
    const path = join(dir, 'c.db');
    const db = openWal(path, 500);
    try {
      const first = await readWal(path);
      insert(db, 1500);
      const resumed = await readWal(path, first.state);
      const fresh = await readWal(path);
      expect(resumed.wal).toEqual(fresh.wal);
      expect(resumed.wal.committedFrames).toBeGreaterThan(first.wal.committedFrames);
      expect(resumed.writer).toEqual(fresh.writer);
    } finally {
      db.close();
    }
  });

  it('stops at a torn frame: garbage after the last commit is not counted', async () => {
    const path = join(dir, 'd.db');
    const db = openWal(path, 300);
    const copy = join(dir, 'copy.db');
    try {
      copyFileSync(path, copy);
      copyFileSync(`${path}-wal`, `${copy}-wal`);
    } finally {
      db.close();
    }
    const before = await readWal(copy);
    // a frame header with the right salts but a wrong checksum, and its page
    const wal = readFileSync(`${copy}-wal`);
    const frame = Buffer.alloc(24 + 4096, 0xab);
    frame.writeUInt32BE(1, 0);
    frame.writeUInt32BE(10, 4);
    wal.copy(frame, 8, 16, 24);
    appendFileSync(`${copy}-wal`, frame);
    const after = await readWal(copy);
    expect(after.wal.committedFrames).toBe(before.wal.committedFrames);
    expect(after.wal.walBytes).toBe(before.wal.walBytes + frame.length);
  });

  it('ignores a -wal with a foreign magic number', async () => {
    const path = join(dir, 'e.db');
    new Database(path).close();
    writeFileSync(`${path}-wal`, Buffer.alloc(4096, 1));
    const r = await readWal(path);
    expect(r.wal).toEqual({ walBytes: 4096, committedFrames: 0 });
  });

  it('computes the WAL checksum of the SQLite file format (over the header, as stored at offset 24)', () => {
    const path = join(dir, 'f.db');
    const db = openWal(path, 10);
    try {
      const header = readFileSync(`${path}-wal`).subarray(0, 32);
      const bigEndian = header.readUInt32BE(0) === 0x377f0683;
      expect(walChecksum(header.subarray(0, 24), bigEndian, [0, 0])).toEqual([
        header.readUInt32BE(24),
        header.readUInt32BE(28),
      ]);
    } finally {
      db.close();
    }
  });

  it('writes version numbers as SQLite does', () => {
    expect(versionText(3_040_001)).toBe('3.40.1');
    expect(versionText(3_051_003)).toBe('3.51.3');
  });
});

describe.skipIf(!needProgram('sqlite3'))('readWal with another SQLite as the writer (the sqlite3 CLI)', () => {
  it("names the CLI's version from page 1 in the -wal while a reader keeps the -wal in place", async () => {
    const { dir, cleanup } = tempDir('tickdb-wal-cli-');
    try {
      const path = join(dir, 'w.db');
      const setup = new Database(path);
      setup.pragma('journal_mode = WAL');
      setup.exec('CREATE TABLE ticks (ts INTEGER, symbol TEXT)');
      const cliVersion = spawnSync('sqlite3', ['--version'], { encoding: 'utf8' }).stdout.split(' ')[0] ?? '';
      const inserts = Array.from(
        { length: 3000 },
        (_, i) => `INSERT INTO ticks VALUES (${i}, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');`,
      ).join('\n');
      // `setup` stays open, so the CLI's connection is not the last one and leaves its -wal (and page 1 in it)
      const r = spawnSync('sqlite3', [path], {
        input: `PRAGMA wal_autocheckpoint=0;\nBEGIN;\n${inserts}\nCOMMIT;\n`,
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const wal = await readWal(path);
      // the database file's own header still names the library that created it: the -wal's page 1 is newer
      const header = readFileSync(path).subarray(0, 100);
      setup.close();
      expect(wal.writer).toMatchObject({ source: 'wal', valid: true, text: cliVersion });
      expect(versionText(header.readUInt32BE(96))).toBe(betterSqliteVersion());
    } finally {
      cleanup();
    }
  });
});
