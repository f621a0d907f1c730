import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { yearMonth, type Day } from './day.js';

/** Where each tier lives. `db` holds live, sealed and compressed days; the others may be on other filesystems. */
export interface TierDirs {
  root: string;
  db: string;
  backup: string;
  archive: string;
  metricsFile: string;
}

export type Tier = 'db' | 'backup' | 'archive';
/** What a file of a tier holds: a plain SQLite database or its zstd compression. */
export type FileKind = 'db' | 'zst';

export interface TierDirOptions {
  root: string;
  backupDir?: string | undefined;
  archiveDir?: string | undefined;
  metricsFile?: string | undefined;
  host?: string | undefined;
}

/** Expands `{host}` (for NAS mounts shared by many hosts) and resolves relative paths against the root. */
function placePath(template: string | undefined, root: string, fallback: string, host: string): string {
  const raw = template === undefined || template === '' ? fallback : template.replaceAll('{host}', host);
  return isAbsolute(raw) ? raw : resolve(root, raw);
}

export function tierDirs(options: TierDirOptions): TierDirs {
  const root = resolve(options.root);
  const host = options.host ?? hostname();
  return {
    root,
    db: join(root, 'db'),
    backup: placePath(options.backupDir, root, join(root, 'backup'), host),
    archive: placePath(options.archiveDir, root, join(root, 'archive'), host),
    metricsFile: placePath(options.metricsFile, root, join(root, 'metrics', 'tickdb.prom'), host),
  };
}

export function fileNameFor(prefix: string, day: Day, kind: FileKind): string {
  return `${prefix}_${day}${kind === 'zst' ? '.db.zst' : '.db'}`;
}

/** `TIERDIR/YYYY/MM/prefix_YYYY-MM-DD.db[.zst]` */
export function dayPath(dirs: TierDirs, tier: Tier, prefix: string, day: Day, kind: FileKind): string {
  const { year, month } = yearMonth(day);
  return join(dirs[tier], year, month, fileNameFor(prefix, day, kind));
}

export function metadataPath(dirs: TierDirs): string {
  return join(dirs.db, 'rotation_metadata.json');
}

export function auditPath(dirs: TierDirs): string {
  return join(dirs.db, 'audit.jsonl');
}

export function lockPath(dirs: TierDirs): string {
  return join(dirs.db, 'tickdb.lock');
}

/** The metadata key of a day: `DATASET/YYYY-MM-DD`. */
export function dayKey(dataset: string, day: Day): string {
  return `${dataset}/${day}`;
}
