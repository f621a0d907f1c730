import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { errnoOf, ioError } from '../errors.js';
import { yearMonth, type Day } from './day.js';
import { parseFileName } from './file-name.js';
import { dayKey, type FileKind, type Tier, type TierDirs } from './tiers.js';

export interface TierFile {
  tier: Tier;
  kind: FileKind;
  dataset: string;
  day: Day;
  path: string;
  bytes: number;
  mode: number;
  /** Side files next to a database: a `-wal` means a writer has it open or crashed. */
  hasWal: boolean;
  walBytes: number;
}

export type AnomalyKind = 'unparseable-name' | 'unknown-dataset' | 'misplaced' | 'duplicate-day' | 'not-a-file';

/** What a non-regular entry named like a day's file is (never followed, never opened). */
export type EntryType = 'symlink' | 'fifo' | 'directory' | 'socket' | 'device';

export interface Anomaly {
  kind: AnomalyKind;
  path: string;
  message: string;
  dataset?: string;
  day?: Day;
  /** For `not-a-file`: what is there instead, in which tier. */
  entryType?: EntryType;
  tier?: Tier;
}

/** Every copy of one day, by where it is. */
export interface DayFiles {
  dataset: string;
  day: Day;
  db?: TierFile;
  zst?: TierFile;
  archive?: TierFile;
  /** An uncompressed file in the archive tier (only an operator puts one there). */
  archiveDb?: TierFile;
  backup?: TierFile;
  /** Anything beyond the first file of a slot (e.g. the same day in two month folders). */
  extra: TierFile[];
}

export interface TierScan {
  files: TierFile[];
  days: Map<string, DayFiles>;
  anomalies: Anomaly[];
  /** Leftover `*.tmp` files of interrupted writes, which recovery removes. */
  tmpFiles: string[];
}

function entryType(entry: Dirent): EntryType {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isFIFO()) return 'fifo';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSocket()) return 'socket';
  return 'device';
}

/**
 * Lists the regular files under `dir`. An entry named like a day's file that is not a regular file (a symlink, a
 * FIFO, a directory, ...) is never followed nor opened: it goes to `odd`. Symlinks are never followed at all.
 */
async function walk(dir: string, out: string[], odd: [string, EntryType][]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw ioError('scan', dir, err);
  }
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isFile()) out.push(full);
    else if (parseFileName(entry.name)?.ok === true) odd.push([full, entryType(entry)]);
    else if (entry.isDirectory()) await walk(full, out, odd);
  }
}

function slotOf(file: TierFile): 'db' | 'zst' | 'archive' | 'archiveDb' | 'backup' {
  if (file.tier === 'backup') return 'backup';
  if (file.tier === 'archive') return file.kind === 'zst' ? 'archive' : 'archiveDb';
  return file.kind === 'zst' ? 'zst' : 'db';
}

/**
 * Finds every file of every tier. Side files (`-wal`, `-shm`, `-journal`) are folded into their database,
 * `*.tmp` files are listed for recovery, unrelated files are ignored, and anything odd is an anomaly: a name that
 * does not parse, a prefix no dataset uses, a file outside its `YYYY/MM` folder, a day present in more than one
 * place (db and db.zst, db and archive, ...).
 */
export async function scanTiers(dirs: TierDirs, datasets: readonly string[]): Promise<TierScan> {
  const scan: TierScan = { files: [], days: new Map(), anomalies: [], tmpFiles: [] };
  const known = new Set(datasets);
  const tiers: [Tier, string][] = [
    ['db', dirs.db],
    ['archive', dirs.archive],
    ['backup', dirs.backup],
  ];
  for (const [tier, dir] of tiers) {
    const paths: string[] = [];
    const odd: [string, EntryType][] = [];
    await walk(dir, paths, odd);
    for (const [path, type] of odd) {
      const parsed = parseFileName(path.slice(path.lastIndexOf(sep) + 1));
      if (parsed?.ok !== true || !known.has(parsed.prefix)) continue;
      scan.anomalies.push({
        kind: 'not-a-file',
        path,
        dataset: parsed.prefix,
        day: parsed.day,
        entryType: type,
        tier,
        message: `${path}: a ${type}, not a regular file, where ${parsed.prefix} ${parsed.day}'s ${tier === 'backup' ? 'backup' : parsed.kind === 'zst' ? 'compressed file' : 'database'} should be; never followed, left alone`,
      });
    }
    const names = new Set(paths);
    for (const path of paths.sort()) {
      const name = path.slice(path.lastIndexOf(sep) + 1);
      if (name.startsWith('.tickdb.lock.')) continue; // a lock being created: the lock's own litter (src/store/lock.ts)
      if (/\.tmp(-wal|-shm|-journal)?$/.test(name)) {
        scan.tmpFiles.push(path);
        continue;
      }
      const parsed = parseFileName(name);
      if (parsed === undefined) continue;
      if (!parsed.ok) {
        scan.anomalies.push({ kind: 'unparseable-name', path, message: `${path}: ${parsed.reason}; left alone` });
        continue;
      }
      if (!known.has(parsed.prefix)) {
        scan.anomalies.push({
          kind: 'unknown-dataset',
          path,
          message: `${path}: prefix "${parsed.prefix}" is not a configured dataset; left alone`,
          day: parsed.day,
        });
        continue;
      }
      let st;
      try {
        st = await stat(path);
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') continue; // removed while scanning
        throw ioError('stat', path, err);
      }
      const walPath = `${path}-wal`;
      let walBytes = 0;
      if (names.has(walPath)) walBytes = (await stat(walPath).catch(() => ({ size: 0 }))).size;
      const file: TierFile = {
        tier,
        kind: parsed.kind,
        dataset: parsed.prefix,
        day: parsed.day,
        path,
        bytes: st.size,
        mode: st.mode & 0o777,
        hasWal: names.has(walPath),
        walBytes,
      };
      const { year, month } = yearMonth(parsed.day);
      if (relative(dir, path) !== join(year, month, name)) {
        scan.anomalies.push({
          kind: 'misplaced',
          path,
          dataset: file.dataset,
          day: file.day,
          message: `${path}: expected under ${join(dir, year, month)}`,
        });
      }
      scan.files.push(file);
      const key = dayKey(file.dataset, file.day);
      let entry = scan.days.get(key);
      if (entry === undefined) {
        entry = { dataset: file.dataset, day: file.day, extra: [] };
        scan.days.set(key, entry);
      }
      const slot = slotOf(file);
      if (entry[slot] === undefined) entry[slot] = file;
      else entry.extra.push(file);
    }
  }
  for (const a of scan.anomalies) {
    if (a.kind !== 'not-a-file' || a.tier === 'backup' || a.dataset === undefined || a.day === undefined) continue;
    const backup = scan.days.get(dayKey(a.dataset, a.day))?.backup;
    if (backup !== undefined)
      a.message += `; the day's backup is ${backup.path} (\`tickdb restore ${a.day} --from backup\` once the entry is removed)`;
  }
  for (const entry of scan.days.values()) {
    const copies = [
      entry.db,
      entry.zst,
      entry.archive,
      entry.archiveDb,
      ...entry.extra.filter((f) => f.tier !== 'backup'),
    ].filter((f): f is TierFile => f !== undefined);
    if (copies.length > 1) {
      scan.anomalies.push({
        kind: 'duplicate-day',
        path: copies[0]?.path ?? '',
        dataset: entry.dataset,
        day: entry.day,
        message: `${entry.dataset} ${entry.day} is present ${copies.length} times: ${copies.map((c) => c.path).join(', ')}`,
      });
    }
  }
  return scan;
}
