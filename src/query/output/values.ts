import type { SqlValue } from '../query-types.js';

/**
 * How a SQLite value is printed. Integers (BigInt) print every digit; reals print the shortest text that reads back
 * as the same double (JavaScript's `String(n)`, where the `sqlite3` CLI rounds to 15 digits); SQLite's infinities as
 * `Inf`/`-Inf` (and `1e999`/`-1e999` in JSON, which reads back as infinity); blobs as hexadecimal.
 */
export function valueText(value: SqlValue, nullText: string): string {
  if (value === null) return nullText;
  if (typeof value === 'bigint' || typeof value === 'string') return String(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'Inf' : '-Inf';
  return value.toString('hex');
}

/** A value as a JSON literal; integers keep every digit (read them with a parser that keeps big integers exact). */
export function valueJson(value: SqlValue): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? '1e999' : '-1e999';
  if (typeof value === 'string') return JSON.stringify(value);
  return JSON.stringify(value.toString('hex'));
}

/** Output column names: `day` first, then the statement's; a repeated name gets `_2`, `_3`, ... */
export function headerNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return ['day', ...names].map((name) => {
    let unique = name;
    for (let n = 2; seen.has(unique); n++) unique = `${name}_${n}`;
    seen.add(unique);
    return unique;
  });
}
