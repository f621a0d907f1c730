import type Database from 'better-sqlite3';
import { TickdbError } from '../errors.js';
import { openDatabase } from '../sqlite/open-database.js';
import type { SqlValue } from './query-types.js';

const HINT = 'tickdb query runs one read-only statement (SELECT or WITH ... SELECT) on each day';

/** The statement without its leading comments and blanks, for the keyword check. */
function leadingKeyword(sql: string): string {
  const text = sql.replace(/^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/, '');
  return (/^[A-Za-z]+/.exec(text)?.[0] ?? '').toUpperCase();
}

function usage(message: string, hint = HINT): TickdbError {
  return new TickdbError('USAGE', message, { hint });
}

/**
 * Prepares `sql` on `db` and refuses what is not one read-only query: several statements, a statement that writes
 * (INSERT ... RETURNING, a checkpoint, ATTACH, VACUUM INTO: SQLite's own `sqlite3_stmt_readonly` and "returns rows"
 * flags), and PRAGMA statements (some change the connection or the file: `SELECT * FROM pragma_table_info('ticks')`
 * reads the same). Every failure is a USAGE error (exit 2). Parameters are bound, never pasted into the SQL; a
 * named parameter without a value is refused too.
 */
export function prepareQuery(db: Database.Database, sql: string, params: Record<string, SqlValue>): Database.Statement {
  if (leadingKeyword(sql) === 'PRAGMA') {
    throw usage(
      'PRAGMA statements are not run by tickdb query',
      "read a pragma through its table-valued function: SELECT * FROM pragma_table_info('ticks')",
    );
  }
  let stmt: Database.Statement;
  try {
    stmt = db.prepare(sql);
  } catch (err) {
    throw usage(`the statement does not prepare: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!stmt.reader || !stmt.readonly) throw usage('the statement writes or returns no rows; tickdb query only reads');
  try {
    stmt.bind(params);
  } catch (err) {
    throw usage(
      `${err instanceof Error ? err.message : String(err)}`,
      'give it with --param NAME=VALUE (:day, :day_start_ns and :day_end_ns are bound for each day)',
    );
  }
  return stmt;
}

/**
 * Checks the statement once, before any day is read, on an empty in-memory database made from the dataset's schema.
 * A statement that names a table or column the schema does not have (an index of the writer's, a table added later)
 * is left to each day's database to judge, which runs the same checks.
 */
export function checkStatement(sql: string, schemaSql: string, params: Record<string, SqlValue>): void {
  const db = openDatabase(':memory:', { create: true });
  try {
    db.exec(schemaSql);
    try {
      prepareQuery(db, sql, params);
    } catch (err) {
      if (err instanceof TickdbError && /no such (table|column)/.test(err.message)) return;
      throw err;
    }
  } finally {
    db.close();
  }
}
