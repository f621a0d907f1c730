import { TickdbError } from '../errors.js';
import type { DayTable } from './day-columns.js';
import { CHECK_MODULUS, type ColumnSummary, type DaySummary } from './day-summary.js';
import { nanosColumnName } from './parquet-file.js';

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * The summary of a Parquet file as DuckDB reads it: a reader other than the writer's library (hyparquet-writer),
 * native, that the quants use. The timestamp's integer checks run on its INT64 copy; the TIMESTAMP column itself
 * is checked against that copy to the microsecond (all that DuckDB 1.5 reads of a UTC nanosecond timestamp).
 */
export async function summarizeParquet(path: string, t: DayTable): Promise<DaySummary> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  try {
    const connection = await instance.connect();
    try {
      const parts: string[] = ['count(*)::VARCHAR'];
      for (const c of t.columns) {
        const q = ident(c === t.timestamp ? nanosColumnName(t) : c.name);
        if (c.kind === 'integer')
          parts.push(
            `count(${q})::VARCHAR`,
            `min(${q})::VARCHAR`,
            `max(${q})::VARCHAR`,
            `sum(${q} % ${CHECK_MODULUS})::VARCHAR`,
          );
        else if (c.kind === 'real') parts.push(`count(${q})::VARCHAR`, `min(${q})`, `max(${q})`, `sum(${q})`);
        else parts.push(`count(${q})::VARCHAR`, `min(${q})`, `max(${q})`, `sum(strlen(${q}))::VARCHAR`);
      }
      const ts = ident(t.timestamp.name);
      const ns = ident(nanosColumnName(t));
      parts.push(`count(*) FILTER (WHERE epoch_us(${ts}) IS DISTINCT FROM ${ns} // 1000)::VARCHAR`);
      const reader = await connection.runAndReadAll(`SELECT ${parts.join(', ')} FROM read_parquet(${literal(path)})`);
      const row = reader.getRows()[0];
      if (row === undefined) throw new TickdbError('INTERNAL', `DuckDB returned no summary row for ${path}`, { path });
      const columns = t.columns.map((c, i): ColumnSummary => {
        const [count, min, max, sum] = row.slice(1 + i * 4, 5 + i * 4);
        const value = (v: unknown): string | number | null =>
          v === null || v === undefined ? null : typeof v === 'number' ? v : String(v);
        return { name: c.name, count: String(count), min: value(min), max: value(max), sum: value(sum) };
      });
      const apart = row[1 + t.columns.length * 4];
      if (String(apart) !== '0')
        throw new TickdbError(
          'VERIFY',
          `${path}: ${String(apart)} row(s) where ${t.timestamp.name} and ${nanosColumnName(t)} differ`,
          {
            path,
          },
        );
      return { rows: Number(row[0]), columns };
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
