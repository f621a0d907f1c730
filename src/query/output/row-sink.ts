import type { Day } from '../../layout/day.js';
import type { SqlValue } from '../query-types.js';
import type { TextTarget } from './text-target.js';
import { valueJson, valueText } from './values.js';

/** Where the rows of every day go, in day order, each row preceded by its day. */
export interface RowSink {
  /** The output columns (`day` first), once, before any row. */
  header(names: readonly string[]): Promise<void>;
  rows(day: Day, rows: readonly SqlValue[][]): Promise<void>;
  /** The query is done: complete the output (a file takes its name). */
  finish(): Promise<void>;
  /** The query was interrupted: leave nothing partial under the output's name. */
  discard(): Promise<void>;
}

const csvCell = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** RFC 4180: one header line, CRLF line ends, NULL as an empty field. */
export function csvSink(target: TextTarget): RowSink {
  return {
    header: (names) => target.write(`${names.map(csvCell).join(',')}\r\n`),
    rows: (day, rows) =>
      target.write(rows.map((r) => `${day},${r.map((v) => csvCell(valueText(v, ''))).join(',')}\r\n`).join('')),
    finish: () => target.close(),
    discard: () => target.discard(),
  };
}

/** One JSON object per line, keys in column order. */
export function ndjsonSink(target: TextTarget): RowSink {
  let keys: string[] = [];
  return {
    header: async (names) => {
      keys = names.map((n) => JSON.stringify(n));
    },
    rows: (day, rows) => {
      const dayField = `${keys[0]}:${JSON.stringify(day)}`;
      return target.write(
        rows.map((r) => `{${dayField}${r.map((v, i) => `,${keys[i + 1]}:${valueJson(v)}`).join('')}}\n`).join(''),
      );
    },
    finish: () => target.close(),
    discard: () => target.discard(),
  };
}

/**
 * Aligned columns for a terminal. The widths are taken from the first `sample` rows, which are held back until then
 * (or the end); later, wider values push their line out rather than hold the whole result in memory.
 */
export function tableSink(target: TextTarget, sample = 1000): RowSink {
  let names: string[] = [];
  let widths: number[] | undefined;
  let held: string[][] = [];
  const line = (cells: readonly string[], w: readonly number[]): string =>
    cells
      .map((c, i) => c.padEnd(w[i] ?? 0))
      .join('  ')
      .trimEnd();
  const flushHeld = async (): Promise<void> => {
    const w = names.map((n, i) => Math.max(n.length, ...held.map((r) => (r[i] ?? '').length)));
    widths = w;
    const text = [
      line(names, w),
      line(
        w.map((x) => '-'.repeat(x)),
        w,
      ),
      ...held.map((r) => line(r, w)),
    ].join('\n');
    held = [];
    await target.write(`${text}\n`);
  };
  return {
    header: async (n) => {
      names = [...n];
    },
    rows: async (day, rows) => {
      const cells = rows.map((r) => [day, ...r.map((v) => valueText(v, 'NULL'))]);
      if (widths !== undefined) {
        const w = widths;
        await target.write(`${cells.map((c) => line(c, w)).join('\n')}\n`);
        return;
      }
      held.push(...cells);
      if (held.length >= sample) await flushHeld();
    },
    finish: async () => {
      if (widths === undefined) await flushHeld();
      await target.close();
    },
    discard: () => target.discard(),
  };
}
