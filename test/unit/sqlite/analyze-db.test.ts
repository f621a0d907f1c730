import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeDatabase, nsToIso, parseSqliteHeader } from '../../../src/sqlite/analyze-db.js';

const dir = mkdtempSync(join(tmpdir(), 'tickdb-analyze-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nsToIso', () => {
  it('keeps nanoseconds, which exceed 2^53', () => {
    expect(nsToIso('1772323228047504961')).toBe('2026-03-01T00:00:28.047504961Z');
    expect(nsToIso('0')).toBe('1970-01-01T00:00:00.000000000Z');
  });
  it('gives null for nothing or nonsense', () => {
    expect(nsToIso(null)).toBeNull();
    expect(nsToIso('abc')).toBeNull();
    expect(nsToIso('-5')).toBeNull();
    expect(nsToIso('9'.repeat(40))).toBeNull();
  });
});

describe('analyzeDatabase and parseSqliteHeader', () => {
  const path = join(dir, 'ticks_2026-03-01.db');
  const db = new Database(path);
  db.exec(
    'CREATE TABLE ticks (ts INTEGER NOT NULL, symbol TEXT NOT NULL, bid REAL); CREATE INDEX ticks_symbol_ts ON ticks (symbol, ts); CREATE TABLE notes (x)',
  );
  const insert = db.prepare('INSERT INTO ticks VALUES (?, ?, ?)');
  insert.run(1772323228047504961n, 'AAPL', 1.5);
  insert.run(1772323228047504962n, 'AAPL', 1.5);
  insert.run(1772365086350330052n, 'MSFT', 2.5);
  db.close();

  it('reads the header', () => {
    const h = parseSqliteHeader(readFileSync(path).subarray(0, 100));
    expect(h).toMatchObject({ pageSize: 4096, format: 'legacy' });
    expect(h?.writtenBy).toMatch(/^3\.\d+\.\d+$/);
    expect(parseSqliteHeader(Buffer.alloc(100))).toBeUndefined();
  });

  it('reports tables, exact ns time range, symbols, pages and integrity', () => {
    const a = analyzeDatabase(path, { table: 'ticks', timestampColumn: 'ts' });
    expect(a.tables).toEqual([
      { name: 'notes', rows: 0 },
      { name: 'ticks', rows: 3 },
    ]);
    expect(a.indexes).toEqual(['ticks_symbol_ts']);
    expect(a.timeRange).toMatchObject({
      min: '1772323228047504961',
      max: '1772365086350330052',
      minIso: '2026-03-01T00:00:28.047504961Z',
    });
    expect(a.symbols).toEqual({
      count: 2,
      top: [
        { symbol: 'AAPL', rows: 2 },
        { symbol: 'MSFT', rows: 1 },
      ],
    });
    expect(a.journalMode).toBe('delete');
    expect(a.freelistCount).toBe(0);
    expect(a.integrity).toEqual({ ok: true, problems: [] });
  });

  it('copes with a database without the tick table', () => {
    const a = analyzeDatabase(path, { table: 'quotes', timestampColumn: 'ts' });
    expect(a.timeRange).toBeNull();
    expect(a.symbols).toBeNull();
  });
});
