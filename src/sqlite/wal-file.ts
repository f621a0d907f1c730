import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { errnoOf, ioError } from '../errors.js';

/**
 * Reads a database's `-wal` and header as bytes, without opening it with SQLite: the writer owns today's
 * database, and nothing here takes a lock, checkpoints or creates a `-shm` (sqlite.org/fileformat2.html, "The WAL
 * file format" and "The database header").
 */

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;
const MAGIC_LE = 0x377f0682;
const MAGIC_BE = 0x377f0683;
/** Frames read per pread: a few MiB at 4 KiB pages. */
const FRAMES_PER_READ = 512;

/** The generation of a WAL: it changes each time SQLite restarts the WAL from its beginning after a checkpoint. */
export interface WalGeneration {
  checkpointSeq: number;
  salt1: number;
  salt2: number;
}

/** What the bytes of one database's `-wal` say. */
export interface WalFacts {
  /** Size of the `-wal` file; 0 when there is none. */
  walBytes: number;
  /** Absent when there is no `-wal`, or it is shorter than its header or has a foreign magic number. */
  generation?: WalGeneration;
  pageSize?: number;
  /** Frames of the current generation up to the last commit (SQLite's mxFrame). */
  committedFrames: number;
  /**
   * Frames the last checkpoint copied back into the database (nBackfill, from the `-shm` of the same generation);
   * absent when there is no `-shm` to read. Below `committedFrames`, checkpoints are behind.
   */
  backfilledFrames?: number;
}

/** The SQLite library that last wrote the database, from the header's SQLITE_VERSION_NUMBER (offset 96). */
export interface WriterVersion {
  /** e.g. 3040001 for 3.40.1. */
  number: number;
  text: string;
  /** Where the newest page 1 was: a committed frame of the `-wal`, or the database file. */
  source: 'wal' | 'database';
  /** The version-valid-for number (offset 92) equals the change counter (offset 24). */
  valid: boolean;
}

export interface WalReading {
  wal: WalFacts;
  writer?: WriterVersion;
}

/** 3040001 -> "3.40.1". */
export function versionText(n: number): string {
  return `${Math.floor(n / 1_000_000)}.${Math.floor(n / 1000) % 1000}.${n % 1000}`;
}

function writerFromHeader(page1: Buffer, source: WriterVersion['source']): WriterVersion | undefined {
  if (page1.length < 100) return undefined;
  const number = page1.readUInt32BE(96);
  if (number === 0) return undefined;
  return { number, text: versionText(number), source, valid: page1.readUInt32BE(92) === page1.readUInt32BE(24) };
}

/** SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `s` (sqlite.org/fileformat2.html). */
export function walChecksum(data: Buffer, bigEndian: boolean, s: [number, number]): [number, number] {
  let s0 = s[0];
  let s1 = s[1];
  for (let i = 0; i + 8 <= data.length; i += 8) {
    const x0 = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const x1 = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}

/**
 * Where a scan of one `-wal` stopped, so that the next scan of the same generation reads only the new frames
 * (the agent samples every few minutes; a starved WAL can reach gigabytes).
 */
export interface WalScanState {
  generation: WalGeneration;
  pageSize: number;
  bigEndian: boolean;
  /** Offset of the next frame to read, and the running checksum up to it. */
  offset: number;
  checksum: [number, number];
  frames: number;
  committedFrames: number;
  /** Header bytes (first 100) of page 1 in the transaction being read, and in the last committed one. */
  pendingPage1?: Buffer;
  committedPage1?: Buffer;
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

function sameGeneration(a: WalGeneration, b: WalGeneration): boolean {
  return a.checkpointSeq === b.checkpointSeq && a.salt1 === b.salt1 && a.salt2 === b.salt2;
}

/** Reads the WAL header; a fresh scan state when the generation is new (or there was none). */
async function startScan(handle: FileHandle, previous: WalScanState | undefined): Promise<WalScanState | undefined> {
  const header = await readAt(handle, 0, WAL_HEADER_BYTES);
  if (header.length < WAL_HEADER_BYTES) return undefined;
  const magic = header.readUInt32BE(0);
  if (magic !== MAGIC_LE && magic !== MAGIC_BE) return undefined;
  const bigEndian = magic === MAGIC_BE;
  const generation = {
    checkpointSeq: header.readUInt32BE(12),
    salt1: header.readUInt32BE(16),
    salt2: header.readUInt32BE(20),
  };
  if (previous !== undefined && sameGeneration(previous.generation, generation)) return previous;
  const checksum = walChecksum(header.subarray(0, 24), bigEndian, [0, 0]);
  if (checksum[0] !== header.readUInt32BE(24) || checksum[1] !== header.readUInt32BE(28)) return undefined;
  const raw = header.readUInt32BE(8);
  const pageSize = raw === 1 ? 65536 : raw;
  return { generation, pageSize, bigEndian, offset: WAL_HEADER_BYTES, checksum, frames: 0, committedFrames: 0 };
}

/**
 * Reads the frames after `state.offset` up to the first one that is not valid (wrong salts or checksum: the end
 * of this generation's frames), as SQLite's recovery does. Mutates and returns `state`.
 */
async function scanFrames(handle: FileHandle, state: WalScanState, walBytes: number): Promise<WalScanState> {
  const frameBytes = FRAME_HEADER_BYTES + state.pageSize;
  for (;;) {
    const count = Math.min(FRAMES_PER_READ, Math.floor((walBytes - state.offset) / frameBytes));
    if (count <= 0) return state;
    const chunk = await readAt(handle, state.offset, count * frameBytes);
    for (let i = 0; i + frameBytes <= chunk.length; i += frameBytes) {
      const page = chunk.readUInt32BE(i);
      const commit = chunk.readUInt32BE(i + 4);
      if (
        chunk.readUInt32BE(i + 8) !== state.generation.salt1 ||
        chunk.readUInt32BE(i + 12) !== state.generation.salt2 ||
        page === 0
      )
        return state;
      let sum = walChecksum(chunk.subarray(i, i + 8), state.bigEndian, state.checksum);
      sum = walChecksum(chunk.subarray(i + FRAME_HEADER_BYTES, i + frameBytes), state.bigEndian, sum);
      if (sum[0] !== chunk.readUInt32BE(i + 16) || sum[1] !== chunk.readUInt32BE(i + 20)) return state;
      state.checksum = sum;
      state.offset += frameBytes;
      state.frames++;
      if (page === 1)
        state.pendingPage1 = Buffer.from(chunk.subarray(i + FRAME_HEADER_BYTES, i + FRAME_HEADER_BYTES + 100));
      if (commit !== 0) {
        state.committedFrames = state.frames;
        if (state.pendingPage1 !== undefined) state.committedPage1 = state.pendingPage1;
        state.pendingPage1 = undefined;
      }
    }
    if (chunk.length < count * frameBytes) return state;
  }
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw ioError('open', path, err);
  }
}

/** The wal-index header (two copies of 48 bytes) and WalCkptInfo, whose first field is nBackfill (sqlite's wal.c). */
const SHM_HEADER_BYTES = 136;
const SHM_SALT_OFFSET = 32;
const SHM_BACKFILL_OFFSET = 96;

/**
 * nBackfill from the `-shm` (the wal-index, in the host's byte order), when it describes the same generation as the
 * `-wal` (its salts are the WAL header's bytes). A plain read: no lock, and nothing mapped.
 */
async function readBackfill(shmPath: string, generation: WalGeneration): Promise<number | undefined> {
  const handle = await openIfExists(shmPath);
  if (handle === undefined) return undefined;
  try {
    const header = await readAt(handle, 0, SHM_HEADER_BYTES);
    if (header.length < SHM_HEADER_BYTES) return undefined;
    const sameSalts =
      header.readUInt32BE(SHM_SALT_OFFSET) === generation.salt1 &&
      header.readUInt32BE(SHM_SALT_OFFSET + 4) === generation.salt2;
    if (!sameSalts) return undefined;
    return endianness() === 'LE' ? header.readUInt32LE(SHM_BACKFILL_OFFSET) : header.readUInt32BE(SHM_BACKFILL_OFFSET);
  } catch (err) {
    throw ioError('read', shmPath, err);
  } finally {
    await handle.close();
  }
}

/**
 * The `-wal` of `dbPath` (size, generation, committed frames) and the SQLite version that last wrote the database:
 * page 1 of the newest committed transaction in the `-wal` when there is one, else the database file's header.
 * `previous` (from the last call on the same file) lets a scan resume where it stopped; the new state is returned.
 */
export async function readWal(dbPath: string, previous?: WalScanState): Promise<WalReading & { state?: WalScanState }> {
  const walPath = `${dbPath}-wal`;
  let state: WalScanState | undefined;
  let wal: WalFacts = { walBytes: 0, committedFrames: 0 };
  const walHandle = await openIfExists(walPath);
  if (walHandle !== undefined) {
    try {
      const walBytes = (await walHandle.stat()).size;
      const start = walBytes < (previous?.offset ?? 0) ? undefined : previous;
      state = await startScan(walHandle, start);
      if (state !== undefined) state = await scanFrames(walHandle, state, walBytes);
      wal =
        state === undefined
          ? { walBytes, committedFrames: 0 }
          : {
              walBytes,
              generation: state.generation,
              pageSize: state.pageSize,
              committedFrames: state.committedFrames,
            };
      const backfilled = state === undefined ? undefined : await readBackfill(`${dbPath}-shm`, state.generation);
      if (backfilled !== undefined) wal.backfilledFrames = backfilled;
    } catch (err) {
      throw ioError('read', walPath, err);
    } finally {
      await walHandle.close();
    }
  }
  let writer = state?.committedPage1 === undefined ? undefined : writerFromHeader(state.committedPage1, 'wal');
  if (writer === undefined) {
    const dbHandle = await openIfExists(dbPath);
    if (dbHandle !== undefined) {
      try {
        writer = writerFromHeader(await readAt(dbHandle, 0, 100), 'database');
      } catch (err) {
        throw ioError('read', dbPath, err);
      } finally {
        await dbHandle.close();
      }
    }
  }
  return { wal, ...(writer !== undefined ? { writer } : {}), ...(state !== undefined ? { state } : {}) };
}
