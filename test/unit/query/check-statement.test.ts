import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEMA_SQL } from '../../../src/config/schema.js';
import { TickdbError } from '../../../src/errors.js';
import { checkStatement } from '../../../src/query/check-statement.js';
import { dayParams } from '../../../src/query/params.js';

const params = { ...dayParams('2026-03-09'), sym: 'AAPL' };

function codeOf(sql: string, p: Record<string, unknown> = params): string | undefined {
  try {
    checkStatement(sql, DEFAULT_SCHEMA_SQL, p as never);
    return undefined;
  } catch (err) {
    return err instanceof TickdbError ? `${err.code}: ${err.message}` : String(err);
  }
}

describe('the statement check', () => {
  it('accepts one read-only query with its parameters bound', () => {
    expect(
      codeOf('SELECT ts, bid FROM ticks WHERE symbol = :sym AND ts >= :day_start_ns AND ts < :day_end_ns'),
    ).toBeUndefined();
    expect(codeOf('WITH w AS (SELECT * FROM ticks WHERE symbol = :sym) SELECT count(*) FROM w')).toBeUndefined();
    expect(codeOf("SELECT * FROM pragma_table_info('ticks')")).toBeUndefined();
  });

  it('refuses, as usage errors, statements that write or do not return rows', () => {
    for (const sql of [
      'DELETE FROM ticks',
      'DELETE FROM ticks RETURNING ts',
      "INSERT INTO ticks (ts, symbol) VALUES (1, 'X') RETURNING ts",
      'UPDATE ticks SET bid = 0',
      'CREATE TABLE x (a)',
      "ATTACH DATABASE '/tmp/x.db' AS x",
      "VACUUM INTO '/tmp/y.db'",
      'BEGIN',
    ]) {
      expect(codeOf(sql), sql).toMatch(/^USAGE: /);
    }
  });

  it('refuses PRAGMA statements (a checkpoint among them), several statements and a syntax error', () => {
    expect(codeOf('PRAGMA wal_checkpoint(TRUNCATE)')).toMatch(/^USAGE: PRAGMA/);
    expect(codeOf('  -- a comment\n pragma table_info(ticks)')).toMatch(/^USAGE: PRAGMA/);
    expect(codeOf('SELECT 1; SELECT 2')).toMatch(/^USAGE: .*more than one statement/);
    expect(codeOf('SELEC 1')).toMatch(/^USAGE: .*syntax error/);
  });

  it('refuses a named parameter without a value, and positional ones', () => {
    expect(codeOf('SELECT * FROM ticks WHERE symbol = :other')).toMatch(/^USAGE: .*Missing named parameter "other"/);
    expect(codeOf('SELECT * FROM ticks WHERE symbol = ?')).toMatch(/^USAGE: /);
  });

  it("leaves a table the schema does not know to each day's database", () => {
    expect(codeOf('SELECT * FROM writer_heartbeats')).toBeUndefined();
  });
});
