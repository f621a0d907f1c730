import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { ColumnSource, KeyValue, SchemaElement } from 'hyparquet-writer';
import { ioError } from '../errors.js';
import type { DayTable } from './day-columns.js';
import type { RowBatch } from './day-batches.js';

export interface ParquetOptions {
  /** Rows per row group: small enough that a reader skips by min/max, large enough to compress well. */
  rowGroupRows: number;
  /** zstd level of the pages (1-22). */
  compressionLevel: number;
  kvMetadata: KeyValue[];
}

/** The name of the INT64 copy of the timestamp: `ts_ns` for `ts`. */
export function nanosColumnName(t: DayTable): string {
  return `${t.timestamp.name}_ns`;
}

/**
 * The Parquet schema of a day: the SQLite columns in their order, INTEGER as INT64, REAL as DOUBLE, TEXT as UTF8,
 * the timestamp as TIMESTAMP(NANOS, UTC), followed by its INT64 copy `<ts>_ns` (DuckDB up to 1.5 reads a UTC
 * nanosecond timestamp at microsecond precision; the copy keeps every nanosecond readable there, see DESIGN 15).
 */
export function parquetSchema(t: DayTable): SchemaElement[] {
  const out: SchemaElement[] = [{ name: 'root', num_children: t.columns.length + 1 }];
  for (const c of t.columns) {
    const repetition_type = c.notNull ? 'REQUIRED' : 'OPTIONAL';
    if (c === t.timestamp) {
      out.push({
        name: c.name,
        type: 'INT64',
        repetition_type,
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' },
      });
      out.push({ name: nanosColumnName(t), type: 'INT64', repetition_type });
    } else if (c.kind === 'integer') out.push({ name: c.name, type: 'INT64', repetition_type });
    else if (c.kind === 'real') out.push({ name: c.name, type: 'DOUBLE', repetition_type });
    else
      out.push({
        name: c.name,
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
        repetition_type,
      });
  }
  return out;
}

type Compress = (data: Uint8Array, params: { compressionLevel: number }) => Buffer;

/** zstd-napi's synchronous one-shot compress (hyparquet-writer calls its compressors synchronously). */
function zstdCompress(): Compress {
  return (createRequire(import.meta.url)('zstd-napi') as { compress: Compress }).compress;
}

/**
 * Writes `batches` (one row group each) to `path` with hyparquet-writer, ZSTD pages, statistics on every column,
 * then fsyncs the file. Memory holds one row group at a time.
 */
export async function writeParquet(
  path: string,
  t: DayTable,
  batches: Iterable<RowBatch> | AsyncIterable<RowBatch>,
  options: ParquetOptions,
): Promise<{ rows: number; rowGroups: number }> {
  const { ParquetWriter, fileWriter } = await import('hyparquet-writer');
  const compress = zstdCompress();
  const level = options.compressionLevel;
  const writer = new ParquetWriter({
    writer: fileWriter(path),
    schema: parquetSchema(t),
    codec: 'ZSTD',
    compressors: { ZSTD: (data: Uint8Array) => compress(data, { compressionLevel: level }) },
    kvMetadata: options.kvMetadata,
    createdBy: 'tickdb export (hyparquet-writer)',
  });
  let rows = 0;
  let rowGroups = 0;
  const tsIndex = t.columns.indexOf(t.timestamp);
  for await (const batch of batches) {
    const columnData: ColumnSource[] = [];
    t.columns.forEach((c, i) => {
      const data = batch.values[i] as ColumnSource['data'];
      if (i === tsIndex) {
        // Delta encoding: sorted nanosecond timestamps shrink to their small differences.
        columnData.push({ name: c.name, data, encoding: 'DELTA_BINARY_PACKED' });
        columnData.push({ name: nanosColumnName(t), data, encoding: 'DELTA_BINARY_PACKED' });
      } else columnData.push({ name: c.name, data });
    });
    await writer.write({ columnData, rowGroupSize: batch.length });
    rows += batch.length;
    rowGroups++;
  }
  await writer.finish();
  try {
    const handle = await open(path, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw ioError('fsync', path, err);
  }
  return { rows, rowGroups };
}
