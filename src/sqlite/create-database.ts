import { chmod, chown, link, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoOf, ioError } from '../errors.js';
import { fsyncDir } from '../fs/fsync-dir.js';
import { mkdirDurable } from '../fs/mkdir-durable.js';
import { openDatabase, sqliteError, type SqliteDatabase } from './open-database.js';

export interface CreateOptions {
  schemaSql: string;
  mode: number;
  uid?: number | undefined;
  gid?: number | undefined;
  /** Fills the new database before it gets its final name (the simulator's rows). */
  fill?: (db: SqliteDatabase) => void;
}

/**
 * Creates a day's database so that a writer never sees a half-made file: schema and WAL mode are applied under
 * a `.tmp` name, then the file is hard-linked to its final name, which fails if the name exists, so an existing
 * database is never overwritten. Returns false when the database already existed.
 */
export async function createDayDatabase(path: string, options: CreateOptions): Promise<boolean> {
  const dir = dirname(path);
  await mkdirDurable(dir);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  await unlink(tmp).catch(() => undefined);
  try {
    const db = openDatabase(tmp, { create: true });
    try {
      db.pragma('journal_mode = WAL');
      db.exec(options.schemaSql);
      options.fill?.(db);
    } catch (err) {
      throw sqliteError('create', path, err);
    } finally {
      db.close();
    }
    await chmod(tmp, options.mode);
    if (options.uid !== undefined || options.gid !== undefined) await chown(tmp, options.uid ?? -1, options.gid ?? -1);
    try {
      await link(tmp, path);
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') return false;
      throw ioError('create', path, err);
    }
    await fsyncDir(dir);
    return true;
  } catch (err) {
    throw ioError('create', path, err);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
