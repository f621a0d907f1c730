import { parseDay, type Day } from './day.js';
import type { FileKind } from './tiers.js';

export type ParsedName = { ok: true; prefix: string; day: Day; kind: FileKind } | { ok: false; reason: string };

const NAME_RE = /^(.+)_(\d{4}-\d{2}-\d{2})\.db(\.zst)?$/;
const SIDE_FILE_RE = /(-wal|-shm|-journal|\.tmp)$/;

/** True for files that belong to SQLite or to an unfinished write, which the scanner passes over. */
export function isSideFile(name: string): boolean {
  return SIDE_FILE_RE.test(name);
}

/**
 * Parses `prefix_YYYY-MM-DD.db` or `prefix_YYYY-MM-DD.db.zst`. Returns undefined for unrelated files (no `.db` or
 * `.db.zst` suffix, side files); `{ok: false}` for a database-like name whose date cannot be parsed, which the
 * scanner reports as an anomaly.
 */
export function parseFileName(name: string): ParsedName | undefined {
  if (isSideFile(name)) return undefined;
  if (!name.endsWith('.db') && !name.endsWith('.db.zst')) return undefined;
  const m = NAME_RE.exec(name);
  if (m === null) return { ok: false, reason: 'name does not follow PREFIX_YYYY-MM-DD.db[.zst]' };
  const day = parseDay(m[2] ?? '');
  if (day === undefined) return { ok: false, reason: `impossible date ${m[2] ?? ''}` };
  return { ok: true, prefix: m[1] ?? '', day, kind: m[3] === undefined ? 'db' : 'zst' };
}
