import { mkdir, readdir, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TickdbError, ioError } from '../errors.js';
import { tmpPathFor } from '../fs/atomic-write.js';
import { fsyncDir } from '../fs/fsync-dir.js';
import { pathExists } from '../fs/path-exists.js';
import { sha256File } from '../fs/sha256.js';
import type { Day } from '../layout/day.js';
import type { DayFiles } from '../layout/scan.js';
import type { DayStore } from '../lifecycle/day-store.js';
import type { DayRecord } from '../store/metadata-types.js';
import { decompressFile } from '../zstd/index.js';
import { faultRequested } from '../fault.js';
import { openDayRead } from './day-reader.js';
import type { RowBatch } from './day-batches.js';
import { compareSummaries } from './day-summary.js';
import { lakeFile } from './lake-path.js';
import { writeParquet } from './parquet-file.js';
import { summarizeParquet } from './parquet-summary.js';

export interface ExportSettings {
  /** The lake's root, `{host}` already replaced. */
  root: string;
  rowGroupRows: number;
  compressionLevel: number;
  /** Threads for decompressing a `.zst` day. */
  threads: number;
  /** A day's database at least this large is read and summarized on two worker threads (day-reader.ts). */
  threadsFromBytes: number;
  force: boolean;
}

export interface ExportDataset {
  prefix: string;
  tableName: string;
  timestampColumn: string;
  symbolColumn: string;
}

export type ExportStatus = 'exported' | 'skipped' | 'not-sealed' | 'purged-unexported' | 'missing';

export interface DayExport {
  dataset: string;
  day: Day;
  status: ExportStatus;
  path: string;
  message: string;
  rows?: number;
  bytes?: number;
  sha256?: string;
}

/** Test fault `export:damage-row`: the first timestamp is one nanosecond off, as a conversion bug would make it. */
async function* damaged(batches: AsyncIterable<RowBatch>, column: number): AsyncGenerator<RowBatch> {
  let first = true;
  for await (const b of batches) {
    const ts = b.values[column];
    if (first && ts instanceof BigInt64Array && ts.length > 0) ts[0] = (ts[0] ?? 0n) + 1n;
    first = false;
    yield b;
  }
}

/** `.*.tmp` files an interrupted export left in the day's folder (the tree lock makes this run the only writer). */
async function removeLeftovers(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith('.') && name.endsWith('.tmp')) await unlink(join(dir, name)).catch(() => undefined);
  }
}

const EXPORTABLE = new Set(['sealed', 'compressed', 'archived']);

/** A recorded export that is still the file on disk: same path, same SHA-256. */
async function recordedFileIntact(rec: DayRecord | undefined, dest: string): Promise<boolean> {
  const p = rec?.parquet;
  if (p === undefined || p.path !== dest || !(await pathExists(dest))) return false;
  return (await sha256File(dest)).sha256 === p.sha256;
}

/**
 * Exports one day to `ROOT/dataset=NAME/date=DAY/part-0.parquet`: written under a temporary name, summarized by
 * DuckDB and compared with SQLite's own summary of the day, then renamed, fsynced and recorded (metadata, then
 * the audit line with the file's SHA-256). A mismatch is a VERIFY error naming the day, and no file is left.
 * A day with a recorded file that is still intact is skipped unless `force`.
 */
export async function exportDay(
  store: DayStore,
  ds: ExportDataset,
  day: Day,
  files: DayFiles | undefined,
  settings: ExportSettings,
  exportedAt: () => string,
): Promise<DayExport> {
  const dest = lakeFile(settings.root, ds.prefix, day);
  const base = { dataset: ds.prefix, day, path: dest };
  const rec = store.get(ds.prefix, day);
  if (rec?.state === 'purged' || (files === undefined && rec?.state === undefined)) {
    if (rec?.parquet !== undefined)
      return { ...base, path: rec.parquet.path, status: 'skipped', message: 'purged; exported before' };
    if (rec?.state === 'purged')
      return { ...base, status: 'purged-unexported', message: `purged ${rec.purgedAt ?? ''} without an export` };
    return { ...base, status: 'missing', message: 'no such day in the tree' };
  }
  if (!settings.force && (await recordedFileIntact(rec, dest)))
    return { ...base, status: 'skipped', message: 'exported and intact (SHA-256 matches the record)' };
  if (rec === undefined || !EXPORTABLE.has(rec.state))
    return {
      ...base,
      status: 'not-sealed',
      message: `state ${rec?.state ?? 'unrecorded'}: only sealed days are exported`,
    };
  const source = files?.db ?? files?.zst ?? files?.archive;
  if (source === undefined)
    throw new TickdbError('NOT_FOUND', `${ds.prefix} ${day} is ${rec.state} but no file of it was found`, {
      hint: 'run `tickdb verify` to compare the metadata with the tiers',
    });
  await mkdir(dirname(dest), { recursive: true }).catch((err: unknown) => {
    throw ioError('create', dirname(dest), err);
  });
  await removeLeftovers(dirname(dest));
  const tmp = tmpPathFor(dest);
  let scratch: string | undefined;
  try {
    let dbPath = source.path;
    if (source.kind === 'zst') {
      scratch = join(dirname(dest), `.${ds.prefix}_${day}.${process.pid}.db.tmp`);
      const out = await decompressFile(source.path, scratch, { threads: settings.threads });
      if (rec.sha256 !== undefined && out.sha256 !== rec.sha256)
        throw new TickdbError(
          'CORRUPT',
          `${source.path} decompresses to SHA-256 ${out.sha256}, not the recorded ${rec.sha256}`,
          {
            path: source.path,
            hint: 'run `tickdb verify --deep`; restore the day from its backup if one exists',
          },
        );
      dbPath = scratch;
    }
    const { table, batches, summary } = await openDayRead({
      ...ds,
      path: dbPath,
      batchRows: settings.rowGroupRows,
      threadsFromBytes: settings.threadsFromBytes,
    });
    const written = await writeParquet(
      tmp,
      table,
      faultRequested('export:damage-row') ? damaged(batches, table.columns.indexOf(table.timestamp)) : batches,
      {
        rowGroupRows: settings.rowGroupRows,
        compressionLevel: settings.compressionLevel,
        kvMetadata: [
          { key: 'tickdb.dataset', value: ds.prefix },
          { key: 'tickdb.day', value: day },
          { key: 'tickdb.source.sha256', value: rec.sha256 ?? '' },
          {
            key: 'tickdb.timestamp',
            value: `${ds.timestampColumn}: TIMESTAMP(NANOS, UTC); ${ds.timestampColumn}_ns: the same instant, INT64 ns`,
          },
        ],
      },
    );
    const expected = await summary;
    const actual = await summarizeParquet(tmp, table);
    const problems = compareSummaries(expected, actual, table);
    if (problems.length > 0)
      throw new TickdbError(
        'VERIFY',
        `export of ${ds.prefix} ${day} does not match its database: ${problems.join('; ')}`,
        {
          path: source.path,
          hint: 'no Parquet file was left; report this with the database (a bug in the export, or a damaged source)',
        },
      );
    const digest = await sha256File(tmp);
    await rename(tmp, dest).catch((err: unknown) => {
      throw ioError('rename', tmp, err);
    });
    await fsyncDir(dirname(dest));
    const parquet = {
      path: dest,
      sha256: digest.sha256,
      bytes: digest.bytes,
      rows: written.rows,
      rowGroups: written.rowGroups,
      exportedAt: exportedAt(),
    };
    await store.transition(
      ds.prefix,
      day,
      { parquet },
      {
        event: 'exported',
        path: dest,
        sha256: digest.sha256,
        bytes: digest.bytes,
        rows: written.rows,
        source: source.path,
        sourceSha256: rec.sha256,
        minTs: actual.columns.find((c) => c.name === ds.timestampColumn)?.min ?? null,
        maxTs: actual.columns.find((c) => c.name === ds.timestampColumn)?.max ?? null,
      },
    );
    return {
      ...base,
      status: 'exported',
      message: `${written.rows} rows, verified`,
      rows: written.rows,
      bytes: digest.bytes,
      sha256: digest.sha256,
    };
  } finally {
    await unlink(tmp).catch(() => undefined);
    if (scratch !== undefined) await unlink(scratch).catch(() => undefined);
    if (!(await pathExists(dest))) await removeEmptyPartition(dirname(dest));
  }
}

/**
 * A day whose export failed leaves no empty `date=` folder (nor an empty `dataset=` one above it): readers that list
 * the lake's partitions would find a day with no file. `rmdir` refuses a folder that holds anything.
 */
async function removeEmptyPartition(dayDir: string): Promise<void> {
  for (const dir of [dayDir, dirname(dayDir)]) {
    const removed = await rmdir(dir).then(
      () => true,
      () => false,
    );
    if (!removed) return;
  }
}
