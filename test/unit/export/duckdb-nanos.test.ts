import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import type { DayTable } from '../../../src/export/day-columns.js';
import { writeParquet } from '../../../src/export/parquet-file.js';

const dir = mkdtempSync(join(tmpdir(), 'tickdb-nanos-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ts = { name: 'ts', kind: 'integer', notNull: true } as const;
const table: DayTable = { table: 'ticks', timestamp: ts, symbol: undefined, columns: [ts] };
const INSTANTS = [1_795_046_400_001_200_325n, 1_795_046_400_001_200_999n];

/**
 * Why the export writes `ts_ns` beside `ts` (DESIGN 15): the pinned DuckDB reads a TIMESTAMP(NANOS, UTC) column at
 * microseconds. When this test fails on a DuckDB upgrade because `epoch_ns(ts)` is exact, the copy can go.
 */
describe('DuckDB (the pinned @duckdb/node-api) reading a UTC nanosecond timestamp', () => {
  it('reads ts at microsecond precision, and ts_ns exactly', async () => {
    const path = join(dir, 'ns.parquet');
    await writeParquet(path, table, [{ length: 2, values: [new BigInt64Array(INSTANTS)] }], {
      rowGroupRows: 2,
      compressionLevel: 3,
      kvMetadata: [],
    });
    const instance = await DuckDBInstance.create(':memory:');
    try {
      const c = await instance.connect();
      const r = await c.runAndReadAll(
        `SELECT typeof(ts), epoch_ns(ts)::VARCHAR, ts_ns::VARCHAR FROM read_parquet('${path}') ORDER BY ts_ns`,
      );
      expect(r.getRows()).toEqual([
        ['TIMESTAMP WITH TIME ZONE', '1795046400001200000', '1795046400001200325'],
        ['TIMESTAMP WITH TIME ZONE', '1795046400001200000', '1795046400001200999'],
      ]);
      c.closeSync();
    } finally {
      instance.closeSync();
    }
  });
});
