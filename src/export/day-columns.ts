import { TickdbError } from '../errors.js';
import type { SqliteDatabase } from '../sqlite/open-database.js';

/** How a SQLite column goes to Parquet: INTEGER as INT64, REAL as DOUBLE, TEXT as UTF8 strings. */
export type ColumnKind = 'integer' | 'real' | 'text';

export interface DayColumn {
  name: string;
  kind: ColumnKind;
  /** Declared NOT NULL in the table: REQUIRED in Parquet. */
  notNull: boolean;
}

export interface DayTable {
  table: string;
  /** The timestamp column (INTEGER nanoseconds since the epoch, UTC): TIMESTAMP(NANOS, UTC) in Parquet. */
  timestamp: DayColumn;
  /** The symbol column the rows are ordered by before the timestamp, when the table has it. */
  symbol: DayColumn | undefined;
  /** Every column in table order, the timestamp included. */
  columns: DayColumn[];
}

/**
 * The SQLite type affinity of a declared type (sqlite.org/datatype3.html, 3.1): the rules in their order, so that
 * `BIGINT` is INTEGER and `DOUBLE PRECISION` REAL. NUMERIC affinity and BLOB are not exported: their values have
 * no single Parquet type.
 */
export function kindOf(declared: string): ColumnKind | undefined {
  const t = declared.toUpperCase();
  if (t.includes('INT')) return 'integer';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'text';
  if (t.includes('BLOB') || t === '') return undefined;
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'real';
  return undefined;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export { quoteIdent };

/** Reads the table's columns and checks that each has a Parquet type; the timestamp column must be INTEGER. */
export function readDayTable(
  db: SqliteDatabase,
  path: string,
  table: string,
  timestampColumn: string,
  symbolColumn: string,
): DayTable {
  const info = db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as {
    name: string;
    type: string;
    notnull: number;
  }[];
  if (info.length === 0)
    throw new TickdbError('CORRUPT', `${path} has no table ${table}`, {
      path,
      hint: 'check the dataset tableName in the configuration',
    });
  const columns = info.map((c): DayColumn => {
    const kind = kindOf(c.type);
    if (kind === undefined)
      throw new TickdbError('REFUSED', `column ${c.name} of ${table} is declared "${c.type}": no Parquet type for it`, {
        path,
        hint: 'only INTEGER, REAL and TEXT columns are exported',
      });
    return { name: c.name, kind, notNull: c.notnull !== 0 };
  });
  const timestamp = columns.find((c) => c.name === timestampColumn);
  if (timestamp?.kind !== 'integer')
    throw new TickdbError('REFUSED', `${table}.${timestampColumn} is not an INTEGER column of ${path}`, {
      path,
      hint: 'the timestamp column holds nanoseconds since the epoch as INTEGER',
    });
  return { table, timestamp, symbol: columns.find((c) => c.name === symbolColumn), columns };
}
