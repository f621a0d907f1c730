import { rename, unlink } from 'node:fs/promises';
import { ioError } from '../../errors.js';
import { tmpPathFor } from '../../fs/atomic-write.js';
import { openDatabase, type SqliteDatabase } from '../../sqlite/open-database.js';
import type { SqlValue } from '../query-types.js';
import type { RowSink } from './row-sink.js';

const quoteId = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Every day's rows in one SQLite file, table `result` (`day` first, then the statement's columns, without declared
 * types, so that each value keeps its own: integers exact, reals, text, blobs), for a second query across days. It
 * is built as a `.tmp` and takes its name when the query is done.
 */
export function sqliteSink(path: string): RowSink {
  const tmp = tmpPathFor(path);
  let db: SqliteDatabase | undefined;
  let insertAll: ((day: string, rows: readonly SqlValue[][]) => void) | undefined;
  const remove = async (): Promise<void> => {
    for (const f of [tmp, `${tmp}-journal`]) await unlink(f).catch(() => undefined);
  };
  return {
    header: async (names) => {
      await remove();
      db = openDatabase(tmp, { create: true });
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
      db.exec(`CREATE TABLE result (${names.map(quoteId).join(', ')})`);
      const stmt = db.prepare(`INSERT INTO result VALUES (${names.map(() => '?').join(', ')})`);
      insertAll = db.transaction((day: string, rows: readonly SqlValue[][]) => {
        for (const r of rows) stmt.run(day, ...r);
      });
    },
    rows: async (day, rows) => {
      insertAll?.(day, rows);
    },
    finish: async () => {
      if (db === undefined) {
        // No day ran: an empty result table still tells a second query that nothing matched.
        db = openDatabase(tmp, { create: true });
        db.exec('CREATE TABLE result (day)');
      }
      db.close();
      await rename(tmp, path).catch((err: unknown) => {
        throw ioError('rename', path, err);
      });
    },
    discard: async () => {
      db?.close();
      await remove();
    },
  };
}
