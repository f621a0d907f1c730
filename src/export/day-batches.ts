import type { SqliteDatabase } from '../sqlite/open-database.js';
import { type DayColumn, type DayTable, quoteIdent } from './day-columns.js';

/** One column of a batch: typed arrays when the batch has no NULL in it, plain arrays with `null`s otherwise. */
export type ColumnValues = BigInt64Array | Float64Array | (bigint | null)[] | (number | null)[] | (string | null)[];

export interface RowBatch {
  length: number;
  /** In the order of DayTable.columns. */
  values: ColumnValues[];
}

interface Slot {
  column: DayColumn;
  /** INTEGER: the 64-bit values, written through `halves` (low word, high word) so no BigInt is made per row. */
  ints?: BigInt64Array;
  halves?: Int32Array;
  reals?: Float64Array;
  texts?: (string | null)[];
  valid: Uint8Array;
  nulls: number;
}

/** The ORDER BY of an export: symbol then timestamp when the table has a symbol column, rowid last for ties. */
export function exportOrder(t: DayTable): string {
  const keys = t.symbol === undefined ? [t.timestamp.name] : [t.symbol.name, t.timestamp.name];
  return [...keys.map(quoteIdent), 'rowid'].join(', ');
}

/**
 * Reads a day's rows in export order, `batchRows` at a time. INTEGER columns are selected as two 32-bit halves
 * (`c >> 32`, `c & 0xffffffff`): both fit a JS number, and together they are the exact 64-bit value, nanosecond
 * timestamps included, without a BigInt per value (better-sqlite3's safeIntegers costs about twice as much).
 */
export function* readBatches(db: SqliteDatabase, t: DayTable, batchRows: number): Generator<RowBatch> {
  const select = t.columns
    .map((c) =>
      c.kind === 'integer' ? `${quoteIdent(c.name)} >> 32, ${quoteIdent(c.name)} & 4294967295` : quoteIdent(c.name),
    )
    .join(', ');
  const stmt = db.prepare(`SELECT ${select} FROM ${quoteIdent(t.table)} ORDER BY ${exportOrder(t)}`).raw(true);
  let slots = newSlots(t.columns, batchRows);
  let n = 0;
  for (const row of stmt.iterate() as IterableIterator<unknown[]>) {
    let k = 0;
    for (const s of slots) {
      if (s.halves !== undefined) {
        const hi = row[k++] as number | null;
        const lo = row[k++] as number;
        if (hi === null) {
          s.valid[n] = 0;
          s.nulls++;
        } else {
          s.halves[2 * n] = lo;
          s.halves[2 * n + 1] = hi;
          s.valid[n] = 1;
        }
      } else {
        const v = row[k++] as number | string | null;
        if (v === null) {
          s.valid[n] = 0;
          s.nulls++;
        } else {
          if (s.reals !== undefined) s.reals[n] = v as number;
          else if (s.texts !== undefined) s.texts[n] = v as string;
          s.valid[n] = 1;
        }
      }
    }
    if (++n === batchRows) {
      yield finish(slots, n);
      slots = newSlots(t.columns, batchRows);
      n = 0;
    }
  }
  if (n > 0) yield finish(slots, n);
}

function newSlots(columns: DayColumn[], size: number): Slot[] {
  return columns.map((column): Slot => {
    const valid = new Uint8Array(size);
    if (column.kind === 'integer') {
      const ints = new BigInt64Array(size);
      return { column, ints, halves: new Int32Array(ints.buffer), valid, nulls: 0 };
    }
    if (column.kind === 'real') return { column, reals: new Float64Array(size), valid, nulls: 0 };
    return { column, texts: new Array<string | null>(size).fill(null), valid, nulls: 0 };
  });
}

function finish(slots: Slot[], n: number): RowBatch {
  const values = slots.map((s): ColumnValues => {
    if (s.ints !== undefined) {
      const ints = s.ints.subarray(0, n);
      return s.nulls === 0 ? ints : Array.from(ints, (v, i) => (s.valid[i] === 1 ? v : null));
    }
    if (s.reals !== undefined) {
      const reals = s.reals.subarray(0, n);
      return s.nulls === 0 ? reals : Array.from(reals, (v, i) => (s.valid[i] === 1 ? v : null));
    }
    return (s.texts ?? []).slice(0, n);
  });
  return { length: n, values };
}
