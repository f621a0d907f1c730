import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectDatabase } from '../../../src/sqlite/inspect-database.js';

const dir = mkdtempSync(join(tmpdir(), 'tickdb-inspect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = 1772323200000000000n; // 2026-03-01T00:00:00Z in ns, above 2^53

/**
 * A day as a writer leaves it: WAL mode, rows still in the -wal. The writer's connection closes while a read-only
 * one is open, and a read-only connection never checkpoints, so the -wal stays.
 */
function writerDay(name: string, rows: number): string {
  const path = join(dir, name);
  const writer = new Database(path);
  writer.pragma('journal_mode = WAL');
  writer.pragma('wal_autocheckpoint = 0');
  writer.exec(
    'CREATE TABLE ticks (ts INTEGER NOT NULL, symbol TEXT NOT NULL, bid REAL); CREATE INDEX ticks_symbol_ts ON ticks (symbol, ts)',
  );
  const insert = writer.prepare('INSERT INTO ticks VALUES (?, ?, ?)');
  writer.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(BASE + BigInt(i) * 1_000_003n, i % 2 === 0 ? 'AAPL' : 'MSFT', i / 10);
  })();
  const reader = new Database(path, { readonly: true });
  reader.prepare('SELECT count(*) FROM ticks').get();
  writer.close();
  reader.close();
  return path;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

// Every case runs twice: stats read by a second worker beside integrity_check (forced here on small files), and
// read after it on the same worker (what small files get by default).
describe.each([
  ['beside', { statsBesideFromBytes: 0 }],
  ['after', {}],
])('inspectDatabase, stats %s integrity_check', (tag, mode) => {
  const day = (name: string, rows: number): string => writerDay(`${tag}-${name}`, rows);
  it('seal: stats read beside integrity_check, then checkpoint, DELETE mode and the hash of the final file', async () => {
    const path = day('seal.db', 5000);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    const r = await inspectDatabase({ op: 'seal', path, table: 'ticks', timestampColumn: 'ts', ...mode });
    expect(r).toMatchObject({
      status: 'ok',
      rows: 5000,
      minTs: String(BASE),
      maxTs: String(BASE + 4999n * 1_000_003n),
    });
    if (r.status !== 'ok') return;
    expect(r.walBytesFolded).toBeGreaterThan(0);
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(r.sha256).toBe(sha256(path));
    expect(r.bytes).toBe(statSync(path).size);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(db.prepare('SELECT count(*) AS n FROM ticks').get()).toEqual({ n: 5000 });
    db.close();
  });

  it('seal never finds the stats reader still open at its checkpoint (ten days in a row, none busy)', async () => {
    for (let i = 0; i < 10; i++) {
      const path = day(`row-${i}.db`, 200 + i);
      const r = await inspectDatabase({ op: 'seal', path, table: 'ticks', timestampColumn: 'ts', ...mode });
      expect(r, `day ${i}`).toMatchObject({ status: 'ok', rows: 200 + i });
    }
  });

  it('inspect: the same figures, and the file left as it was', async () => {
    const path = day('inspect.db', 300);
    const wal = readFileSync(`${path}-wal`);
    const r = await inspectDatabase({ op: 'inspect', path, table: 'ticks', timestampColumn: 'ts', ...mode });
    expect(r).toMatchObject({ status: 'ok', rows: 300, minTs: String(BASE), walBytesFolded: 0 });
    expect(readFileSync(`${path}-wal`).equals(wal)).toBe(true);
  });

  it('an empty tick table has no timestamp range', async () => {
    const path = day('empty.db', 0);
    expect(
      await inspectDatabase({ op: 'inspect', path, table: 'ticks', timestampColumn: 'ts', ...mode }),
    ).toMatchObject({
      status: 'ok',
      rows: 0,
      minTs: null,
      maxTs: null,
    });
  });

  it('a database without the tick table is corrupt for this dataset', async () => {
    const path = join(dir, `${tag}-other.db`);
    const db = new Database(path);
    db.exec('CREATE TABLE notes (x)');
    db.close();
    expect(await inspectDatabase({ op: 'seal', path, table: 'ticks', timestampColumn: 'ts', ...mode })).toEqual({
      status: 'corrupt',
      problems: ['no table ticks: not a tick database of this dataset'],
    });
  });

  it('a stats query that fails (no such column) is an error, not a seal', async () => {
    const path = day('column.db', 10);
    const before = sha256(path);
    const r = await inspectDatabase({ op: 'seal', path, table: 'ticks', timestampColumn: 'time', ...mode });
    expect(r).toMatchObject({
      status: 'error',
      code: 'SQLITE_ERROR',
      message: expect.stringMatching(/no such column: "?time/),
    });
    expect(sha256(path)).toBe(before);
    expect(existsSync(`${path}-wal`)).toBe(true);
  });

  it('a file that is not a database, and a damaged one, are corrupt', async () => {
    const text = join(dir, `${tag}-text.db`);
    writeFileSync(text, 'not a database at all, but long enough to have a header of sorts'.repeat(100));
    expect(
      await inspectDatabase({ op: 'seal', path: text, table: 'ticks', timestampColumn: 'ts', ...mode }),
    ).toMatchObject({ status: 'corrupt' });

    const damaged = day('damaged.db', 20000);
    const db = new Database(damaged);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
    db.close();
    const bytes = readFileSync(damaged);
    bytes.fill(0x55, 8 * 4096, 12 * 4096); // four pages of the table's b-tree overwritten
    writeFileSync(damaged, bytes);
    const r = await inspectDatabase({ op: 'seal', path: damaged, table: 'ticks', timestampColumn: 'ts', ...mode });
    expect(r.status).toBe('corrupt');
    expect(readFileSync(damaged).equals(bytes)).toBe(true);
  });
});
