import { basename, resolve } from 'node:path';
import { TickdbError } from '../errors.js';
import { parseDay, type Day } from './day.js';
import { parseFileName } from './file-name.js';
import type { TierScan } from './scan.js';
import { dayKey, type TierDirs } from './tiers.js';

export interface LocatedFile {
  path: string;
  /** Set when the file is a day of a configured dataset (its recorded hash can be looked up). */
  dataset?: string;
  day?: Day;
}

/** True when `path` is inside one of the tiers (where an investigation copy must never be written). */
export function isInsideTier(dirs: TierDirs, path: string): boolean {
  const p = resolve(path);
  return [dirs.db, dirs.archive, dirs.backup].some((t) => p === t || p.startsWith(`${t}/`) || p.startsWith(`${t}\\`));
}

/**
 * Resolves `DAY|PATH` for commands that read one day: a day is looked up in the scan (the compressed copy in
 * db/ or archive/); a path is taken as it is, and named back to its day when its name parses.
 */
export function locateCompressedDay(scan: TierScan, arg: string, dataset: string): LocatedFile {
  const day = parseDay(arg);
  if (day === undefined) {
    const parsed = parseFileName(basename(arg));
    return parsed?.ok === true
      ? { path: resolve(arg), dataset: parsed.prefix, day: parsed.day }
      : { path: resolve(arg) };
  }
  const files = scan.days.get(dayKey(dataset, day));
  const zst = files?.zst ?? files?.archive;
  if (zst !== undefined) return { path: zst.path, dataset, day };
  if (files?.db !== undefined) {
    throw new TickdbError('NOT_FOUND', `${dataset} ${day} is not compressed; its database is ${files.db.path}`, {
      path: files.db.path,
      hint: 'open or copy that file directly (sqlite3 -readonly ...)',
    });
  }
  throw new TickdbError('NOT_FOUND', `no compressed copy of ${dataset} ${day} in db/ or archive/`, {
    hint: 'see `tickdb inventory`; a purged day is gone, a backup can be restored with `tickdb restore DAY --from backup`',
  });
}
