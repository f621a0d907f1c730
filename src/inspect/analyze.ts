import { copyFile, open, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DatasetConfig } from '../config/schema.js';
import { TickdbError, errnoOf, ioError } from '../errors.js';
import { parseFileName } from '../layout/file-name.js';
import { dayKey, type TierDirs } from '../layout/tiers.js';
import { scratchDir } from './scratch-dir.js';
import type { DayRecord, Metadata } from '../store/metadata-types.js';
import { sha256File } from '../fs/sha256.js';
import { decompressFile, readSeekTable } from '../zstd/index.js';
import { analyzeDatabase, parseSqliteHeader, type DbAnalysis, type SqliteHeader } from '../sqlite/analyze-db.js';

export interface AnalyzeReport {
  path: string;
  kind: 'db' | 'zst';
  bytes: number;
  sha256: string;
  /** For a `.db.zst`: what it decompresses to (the database analysed below). */
  zst?: { frames: number; seekTable: boolean; contentBytes: number; contentSha256: string };
  /** For a `.db`: SQLite's side files beside it (a `-wal` means a writer has it open, or crashed). */
  sideFiles?: { walBytes: number | null; shm: boolean; journalBytes: number | null };
  header: SqliteHeader;
  /** True when a private copy was analysed, so that nothing is created beside the original. */
  analysedCopy: boolean;
  database: DbAnalysis;
  /** What the metadata of this tree records for the day named by the file, when it records anything. */
  recorded?: {
    key: string;
    state: string;
    sha256: string | null;
    sha256Matches: boolean | null;
    zstSha256: string | null;
    zstSha256Matches: boolean | null;
  };
  ok: boolean;
}

export interface AnalyzeOptions {
  datasets: readonly DatasetConfig[];
  dirs: TierDirs;
  threads: number;
  metadata?: Metadata | undefined;
}

const ZSTD_MAGIC = 0xfd2fb528;
const isSkippableMagic = (m: number): boolean => (m & 0xfffffff0) === 0x184d2a50;

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r').catch((err: unknown) => {
    throw ioError('open', path, err);
  });
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function sizeOrNull(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null;
    throw ioError('stat', path, err);
  }
}

function notAnalysable(path: string, what: string): TickdbError {
  return new TickdbError('CORRUPT', `${path}: ${what}`, {
    path,
    hint: 'analyze takes a SQLite database (.db) or its zstd compression (.db.zst)',
  });
}

function tickTableFor(path: string, datasets: readonly DatasetConfig[]): { table: string; timestampColumn: string } {
  const parsed = parseFileName(basename(path));
  const d = parsed?.ok === true ? datasets.find((x) => x.prefix === parsed.prefix) : undefined;
  return { table: d?.tableName ?? 'ticks', timestampColumn: d?.timestampColumn ?? 'ts' };
}

function recordedFor(
  path: string,
  metadata: Metadata | undefined,
  content: string,
  zst: string | null,
): AnalyzeReport['recorded'] {
  const parsed = parseFileName(basename(path));
  if (parsed?.ok !== true || metadata === undefined) return undefined;
  const key = dayKey(parsed.prefix, parsed.day);
  const rec: DayRecord | undefined = metadata.days[key];
  if (rec === undefined) return undefined;
  return {
    key,
    state: rec.state,
    sha256: rec.sha256 ?? null,
    sha256Matches: rec.sha256 === undefined ? null : rec.sha256 === content,
    zstSha256: rec.zstSha256 ?? null,
    zstSha256Matches: zst === null || rec.zstSha256 === undefined ? null : rec.zstSha256 === zst,
  };
}

/**
 * Analyses a `.db` where it is, read-only, when that creates nothing beside it: a file in rollback mode without a
 * hot journal, or a WAL file whose `-wal` and `-shm` exist (a writer may have it open: a read-only connection
 * reads a consistent snapshot). Otherwise (a WAL file with no `-shm`, which a read-only open would create, or a
 * hot journal) a private copy with its side file is analysed.
 */
async function analyseDb(
  path: string,
  header: SqliteHeader,
  opts: AnalyzeOptions,
  scratch: () => Promise<string>,
): Promise<Pick<AnalyzeReport, 'sideFiles' | 'analysedCopy' | 'database'>> {
  const [walBytes, shmBytes, journalBytes] = await Promise.all([
    sizeOrNull(`${path}-wal`),
    sizeOrNull(`${path}-shm`),
    sizeOrNull(`${path}-journal`),
  ]);
  const sideFiles = { walBytes, shm: shmBytes !== null, journalBytes };
  const tick = tickTableFor(path, opts.datasets);
  const inPlace = header.format === 'wal' ? walBytes !== null && shmBytes !== null : journalBytes === null;
  if (inPlace) {
    try {
      return { sideFiles, analysedCopy: false, database: analyzeDatabase(path, tick) };
    } catch (err) {
      if (!/SQLITE_(CANTOPEN|READONLY)/.test(String((err as { cause?: { code?: unknown } }).cause?.code ?? '')))
        throw err;
    }
  }
  const dir = await scratch();
  const copy = join(dir, basename(path));
  await copyFile(path, copy).catch((err: unknown) => {
    throw ioError('copy', path, err);
  });
  for (const side of ['-wal', '-journal']) {
    if ((side === '-wal' ? walBytes : journalBytes) !== null)
      await copyFile(`${path}${side}`, `${copy}${side}`).catch(() => undefined);
  }
  return { sideFiles, analysedCopy: true, database: analyzeDatabase(copy, tick) };
}

/**
 * `tickdb analyze PATH`: describes a `.db` or a `.db.zst` (decompressed to a private temp folder, removed after).
 * Never writes beside the file. Bad input (missing, empty, neither SQLite nor zstd, a damaged .zst) is a
 * TickdbError naming the file; a database that fails its integrity check is reported with `ok: false`.
 */
export async function analyzeFile(path: string, opts: AnalyzeOptions): Promise<AnalyzeReport> {
  const st = await stat(path).catch((err: unknown) => {
    if (errnoOf(err) === 'ENOENT') throw new TickdbError('NOT_FOUND', `${path}: no such file`, { path });
    throw ioError('stat', path, err);
  });
  if (!st.isFile()) throw new TickdbError('USAGE', `${path} is not a file`, { path });
  if (st.size === 0) throw notAnalysable(path, 'zero-byte file: neither a SQLite database nor a zstd file');
  const head = await readHead(path, 100);
  const magic = head.length >= 4 ? head.readUInt32LE(0) : 0;
  let dir: string | undefined;
  const scratch = async (): Promise<string> => (dir ??= await scratchDir(opts.dirs, 'analyze'));
  try {
    if (magic === ZSTD_MAGIC || isSkippableMagic(magic)) {
      const work = await scratch();
      const out = join(work, basename(path).replace(/\.zst$/, '') || 'content.db');
      const content = await decompressFile(path, out, { threads: opts.threads });
      const contentHeader = parseSqliteHeader(await readHead(out, 100));
      if (contentHeader === undefined)
        throw notAnalysable(path, 'decompresses to something that is not a SQLite database');
      const zstDigest = await sha256File(path);
      const table = await readSeekTable(path).catch(() => undefined);
      const database = analyzeDatabase(out, tickTableFor(path, opts.datasets));
      return {
        path,
        kind: 'zst',
        bytes: st.size,
        sha256: zstDigest.sha256,
        zst: {
          frames: content.frames,
          seekTable: table !== undefined,
          contentBytes: content.bytes,
          contentSha256: content.sha256,
        },
        header: contentHeader,
        analysedCopy: true,
        database,
        recorded: recordedFor(path, opts.metadata, content.sha256, zstDigest.sha256),
        ok: database.integrity.ok,
      };
    }
    const header = parseSqliteHeader(head);
    if (header === undefined) {
      throw notAnalysable(
        path,
        `not a SQLite database or a zstd file (first bytes ${head.subarray(0, 8).toString('hex')})`,
      );
    }
    if (st.size < header.pageSize)
      throw notAnalysable(path, `truncated SQLite database: ${st.size} bytes, less than one page (${header.pageSize})`);
    const digest = await sha256File(path);
    const db = await analyseDb(path, header, opts, scratch);
    const expected = header.pageCount * header.pageSize;
    if (
      header.format === 'legacy' &&
      db.sideFiles?.journalBytes === null &&
      header.pageCount > 0 &&
      st.size < expected
    ) {
      db.database.integrity.ok = false;
      db.database.integrity.problems.unshift(
        `file is truncated: the header says ${header.pageCount} pages (${expected} bytes), the file has ${st.size} bytes`,
      );
    }
    return {
      path,
      kind: 'db',
      bytes: st.size,
      sha256: digest.sha256,
      ...db,
      header,
      recorded: recordedFor(path, opts.metadata, digest.sha256, null),
      ok: db.database.integrity.ok,
    };
  } finally {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}
