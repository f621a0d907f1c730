import { TickdbError } from '../errors.js';
import type { SqliteDatabase } from '../sqlite/open-database.js';
import { type DayColumn, type DayTable, quoteIdent } from './day-columns.js';

/**
 * What is compared between a day's SQLite table and its Parquet file, column by column: the count of non-NULL
 * values, min and max (exact: strings, decimal integers, doubles), and a sum. INTEGER columns sum `v % 1000000007`
 * (exact in int64 on both sides, every digit counts, nanoseconds included); REAL columns sum their values
 * (compared with a relative tolerance: the order of a floating-point sum differs); TEXT columns sum their UTF-8
 * byte lengths.
 */
export interface ColumnSummary {
  name: string;
  count: string;
  min: string | number | null;
  max: string | number | null;
  sum: string | number | null;
}

export interface DaySummary {
  rows: number;
  columns: ColumnSummary[];
}

export const CHECK_MODULUS = '1000000007';

const EXPECTED_TYPES: Record<DayColumn['kind'], string> = {
  integer: "'integer'",
  real: "'real', 'integer'",
  text: "'text'",
};

function text(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

/**
 * The summary of a day as SQLite computes it (one scan, in C; nothing of the export's own reader is reused, so a
 * reader bug shows as a mismatch). A value whose storage class does not fit its column's export type (text in an
 * INTEGER column, a fraction in an INTEGER column) is refused: it would not survive the conversion unchanged.
 */
export function summarizeSqlite(db: SqliteDatabase, t: DayTable, path: string): DaySummary {
  const parts: string[] = ['count(*)'];
  for (const c of t.columns) {
    const q = quoteIdent(c.name);
    const sum =
      c.kind === 'integer'
        ? `sum(${q} % ${CHECK_MODULUS})`
        : c.kind === 'real'
          ? `total(${q})`
          : `sum(length(CAST(${q} AS BLOB)))`;
    parts.push(`count(${q})`, `min(${q})`, `max(${q})`, sum);
    parts.push(`count(*) FILTER (WHERE typeof(${q}) NOT IN (${EXPECTED_TYPES[c.kind]}, 'null'))`);
  }
  const row = db
    .prepare(`SELECT ${parts.join(', ')} FROM ${quoteIdent(t.table)}`)
    .raw(true)
    .safeIntegers(true)
    .get() as unknown[];
  const columns = t.columns.map((c, i): ColumnSummary => {
    const [count, min, max, sum, misfits] = row.slice(1 + i * 5, 6 + i * 5);
    if (Number(misfits) !== 0)
      throw new TickdbError(
        'REFUSED',
        `${String(misfits)} value(s) of ${t.table}.${c.name} in ${path} are not ${c.kind}`,
        {
          path,
          hint: 'SQLite keeps such values as they were inserted; they have no exact Parquet form in this column',
        },
      );
    if (c.kind === 'real') return { name: c.name, count: String(count), min: num(min), max: num(max), sum: num(sum) };
    return { name: c.name, count: String(count), min: text(min), max: text(max), sum: text(sum) };
  });
  return { rows: Number(row[0]), columns };
}

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** Same relative tolerance for REAL sums as for any sum of doubles over millions of rows in another order. */
const REAL_SUM_TOLERANCE = 1e-9;

/** The differences between two summaries, one line each (empty when they agree). */
export function compareSummaries(expected: DaySummary, actual: DaySummary, t: DayTable): string[] {
  const out: string[] = [];
  if (expected.rows !== actual.rows) out.push(`rows: SQLite ${expected.rows}, Parquet ${actual.rows}`);
  t.columns.forEach((c, i) => {
    const e = expected.columns[i];
    const a = actual.columns[i];
    if (e === undefined || a === undefined) {
      out.push(`${c.name}: missing`);
      return;
    }
    for (const field of ['count', 'min', 'max'] as const) {
      if (e[field] !== a[field]) out.push(`${c.name} ${field}: SQLite ${e[field]}, Parquet ${a[field]}`);
    }
    if (c.kind === 'real') {
      const es = Number(e.sum ?? 0);
      const as = Number(a.sum ?? 0);
      if (Math.abs(es - as) > REAL_SUM_TOLERANCE * Math.max(1, Math.abs(es)))
        out.push(`${c.name} sum: SQLite ${es}, Parquet ${as}`);
    } else if ((e.sum ?? '0') !== (a.sum ?? '0')) out.push(`${c.name} sum: SQLite ${e.sum}, Parquet ${a.sum}`);
  });
  return out;
}
