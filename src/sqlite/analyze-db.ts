import { openDatabase, sqliteError, type SqliteDatabase } from './open-database.js';

/** The first 100 bytes of a SQLite file, decoded (sqlite.org/fileformat.html, "The Database Header"). */
export interface SqliteHeader {
  pageSize: number;
  /** `wal` when the file is in WAL mode (write/read versions 2), `legacy` for rollback-journal modes. */
  format: 'wal' | 'legacy';
  /** Pages according to the header (valid when the file was last written by SQLite 3.7.0 or later). */
  pageCount: number;
  /** The SQLite library that last wrote the file, e.g. `3.53.2`. */
  writtenBy: string | null;
}

export const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function parseSqliteHeader(head: Buffer): SqliteHeader | undefined {
  if (head.length < 100 || !head.subarray(0, 16).equals(SQLITE_MAGIC)) return undefined;
  const raw = head.readUInt16BE(16);
  const version = head.readUInt32BE(96);
  return {
    pageSize: raw === 1 ? 65536 : raw,
    format: head[18] === 2 || head[19] === 2 ? 'wal' : 'legacy',
    pageCount: head.readUInt32BE(28),
    writtenBy:
      version === 0
        ? null
        : `${Math.floor(version / 1_000_000)}.${Math.floor(version / 1000) % 1000}.${version % 1000}`,
  };
}

export interface TimeRange {
  table: string;
  column: string;
  /** Nanoseconds since the epoch as decimal strings (they exceed 2^53). */
  min: string | null;
  max: string | null;
  minIso: string | null;
  maxIso: string | null;
}

export interface DbAnalysis {
  journalMode: string | null;
  pageSize: number | null;
  pageCount: number | null;
  freelistCount: number | null;
  tables: { name: string; rows: number | null }[];
  indexes: string[];
  timeRange: TimeRange | null;
  symbols: { count: number; top: { symbol: string; rows: number }[] } | null;
  integrity: { ok: boolean; problems: string[] };
}

/** ns since the epoch -> ISO-8601 with nanoseconds, or null when it is not a plausible instant. */
export function nsToIso(ns: string | null): string | null {
  if (ns === null) return null;
  let value: bigint;
  try {
    value = BigInt(ns);
  } catch {
    return null;
  }
  const ms = value / 1_000_000n;
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime()) || value < 0n) return null;
  const subMs = (value % 1_000_000n).toString().padStart(6, '0');
  return date.toISOString().replace(/Z$/, `${subMs}Z`);
}

const quoteId = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function toNumber(v: unknown): number | null {
  if (typeof v === 'bigint') return Number(v);
  return typeof v === 'number' ? v : null;
}

/**
 * Reads a SQLite database read-only and describes it: tables and row counts, the tick table's time range and
 * symbols, page statistics, journal mode, integrity. A query that fails on a damaged file is reported as an
 * integrity problem rather than stopping the analysis.
 */
export function analyzeDatabase(
  path: string,
  tick: { table: string; timestampColumn: string },
  maxProblems = 20,
): DbAnalysis {
  const db: SqliteDatabase = openDatabase(path, { readonly: true });
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get(); // cannot open, not a database: an error, not a report
  } catch (err) {
    db.close();
    throw sqliteError('open', path, err);
  }
  const problems: string[] = [];
  const attempt = <T>(what: string, fn: () => T): T | null => {
    try {
      return fn();
    } catch (err) {
      problems.push(`${what}: ${sqliteError(what, path, err).message}`);
      return null;
    }
  };
  try {
    const integrityRows = attempt(
      'integrity_check',
      () => db.pragma(`integrity_check(${maxProblems})`) as { integrity_check: string }[],
    );
    if (integrityRows !== null && (integrityRows.length !== 1 || integrityRows[0]?.integrity_check !== 'ok')) {
      problems.push(...integrityRows.map((r) => r.integrity_check));
    }
    const pragma = (name: string): unknown => attempt(name, () => db.pragma(name, { simple: true }));
    const journalMode = pragma('journal_mode');
    const schema =
      attempt(
        'schema',
        () =>
          db.prepare("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
            type: string;
            name: string;
          }[],
      ) ?? [];
    const tables = schema
      .filter((s) => s.type === 'table')
      .map((s) => ({
        name: s.name,
        rows: toNumber(
          attempt(`count ${s.name}`, () =>
            db
              .prepare(`SELECT count(*) FROM ${quoteId(s.name)}`)
              .pluck()
              .safeIntegers(true)
              .get(),
          ),
        ),
      }));
    const tickTable = tables.find((t) => t.name === tick.table);
    const columns =
      tickTable === undefined
        ? []
        : (attempt('columns', () => db.pragma(`table_info(${quoteId(tick.table)})`) as { name: string }[]) ?? []).map(
            (c) => c.name,
          );
    let timeRange: TimeRange | null = null;
    if (columns.includes(tick.timestampColumn)) {
      const col = quoteId(tick.timestampColumn);
      const r = attempt(
        'time range',
        () =>
          db
            .prepare(`SELECT min(${col}) AS lo, max(${col}) AS hi FROM ${quoteId(tick.table)}`)
            .safeIntegers(true)
            .get() as { lo: unknown; hi: unknown },
      );
      const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
      const [min, max] = [str(r?.lo), str(r?.hi)];
      timeRange = {
        table: tick.table,
        column: tick.timestampColumn,
        min,
        max,
        minIso: nsToIso(min),
        maxIso: nsToIso(max),
      };
    }
    let symbols: DbAnalysis['symbols'] = null;
    if (columns.includes('symbol')) {
      const rows = attempt(
        'symbols',
        () =>
          db
            .prepare(`SELECT symbol, count(*) AS n FROM ${quoteId(tick.table)} GROUP BY symbol ORDER BY n DESC, symbol`)
            .safeIntegers(true)
            .all() as { symbol: unknown; n: bigint }[],
      );
      if (rows !== null)
        symbols = {
          count: rows.length,
          top: rows.slice(0, 5).map((r) => ({ symbol: String(r.symbol), rows: Number(r.n) })),
        };
    }
    return {
      journalMode: journalMode === null ? null : String(journalMode),
      pageSize: toNumber(pragma('page_size')),
      pageCount: toNumber(pragma('page_count')),
      freelistCount: toNumber(pragma('freelist_count')),
      tables,
      indexes: schema.filter((s) => s.type === 'index').map((s) => s.name),
      timeRange,
      symbols,
      integrity: { ok: problems.length === 0, problems },
    };
  } finally {
    db.close();
  }
}
