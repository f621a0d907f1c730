import Database from 'better-sqlite3';
import { TickdbError } from '../errors.js';

export type SqliteDatabase = Database.Database;

export interface OpenOptions {
  readonly?: boolean;
  /** Create the file if missing (only pre-creation and the simulator do). */
  create?: boolean;
  /** How long to wait for another connection's lock; sealing uses a short one so a live writer is seen at once. */
  busyTimeoutMs?: number;
}

/** SQLite result codes that mean the file itself is bad, not that something else holds it. */
const CORRUPT_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CORRUPT_VTAB', 'SQLITE_CORRUPT_SEQUENCE']);

export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Maps a better-sqlite3 error to a TickdbError naming the database. */
export function sqliteError(op: string, path: string, err: unknown): TickdbError {
  if (err instanceof TickdbError) return err;
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  const detail = err instanceof Error ? err.message : String(err);
  if (CORRUPT_CODES.has(code)) {
    return new TickdbError('CORRUPT', `${op}: ${path} is not a valid SQLite database (${detail})`, {
      path,
      hint: 'the day is quarantined; inspect it with `tickdb analyze` and restore it from its backup',
      cause: err,
    });
  }
  if (isBusyError(err)) {
    return new TickdbError('BUSY', `${op}: ${path} is in use by another connection (${detail})`, {
      path,
      hint: 'a writer still has the database open; the agent retries at its next run',
      cause: err,
    });
  }
  return new TickdbError('IO', `${op} failed for ${path}: ${detail}`, { path, cause: err });
}

/** The one way tickdb opens a database: explicit about creating, read-only and waiting for locks. */
export function openDatabase(path: string, options: OpenOptions = {}): SqliteDatabase {
  try {
    const db = new Database(path, { readonly: options.readonly === true, fileMustExist: options.create !== true });
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 2000}`);
    return db;
  } catch (err) {
    throw sqliteError('open', path, err);
  }
}

/** A database held in memory (a decompressed day), opened read-only; SQLite keeps its own copy of the bytes. */
export function openDatabaseBytes(bytes: Buffer): SqliteDatabase {
  try {
    return new Database(bytes, { readonly: true });
  } catch (err) {
    throw sqliteError('open', '(in-memory database)', err);
  }
}
