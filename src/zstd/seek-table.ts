import type { FileHandle } from 'node:fs/promises';
import { TickdbError, ioError } from '../errors.js';
import { openWithSize, readAt } from './file-io.js';

/**
 * The seek table of the zstd seekable format (contrib/seekable_format/zstd_seekable_compression_format.md in
 * the zstd repository, version 0.1.0): a skippable frame at the very end of the file
 *
 *   Skippable_Magic_Number 0x184D2A5E (4) | Frame_Size (4) | entries | Number_Of_Frames (4) |
 *   Seek_Table_Descriptor (1) | Seekable_Magic_Number 0x8F92EAB1 (4)
 *
 * with one entry per frame: Compressed_Size (4) | Decompressed_Size (4) | [Checksum (4)], little-endian. The
 * checksum, present when bit 7 of the descriptor is set, is the low 32 bits of XXH64 of the frame's content.
 * `zstd -d` skips the frame, so a file with a seek table is still a plain .zst.
 */

export const SEEK_TABLE_SKIPPABLE_MAGIC = 0x184d2a5e;
export const SEEKABLE_MAGIC = 0x8f92eab1;
export const SEEK_TABLE_FOOTER_BYTES = 9;
const SKIPPABLE_HEADER_BYTES = 8;
const CHECKSUM_FLAG = 0x80;
const RESERVED_BITS = 0x7c;
/** The format's own limit on the number of frames. */
const MAX_FRAMES = 0x8000000;

export interface SeekTableEntry {
  compressedSize: number;
  decompressedSize: number;
  /** Low 32 bits of XXH64 of the frame's content, when the table carries checksums. */
  checksum?: number | undefined;
}

export interface SeekTable {
  entries: SeekTableEntry[];
  hasChecksums: boolean;
  /** Size of the whole skippable frame holding the table, headers included. */
  tableBytes: number;
}

/** The skippable frame holding a seek table for `entries`; checksums are written when every entry has one. */
export function encodeSeekTable(entries: readonly SeekTableEntry[]): Buffer {
  if (entries.length > MAX_FRAMES) throw new Error(`too many frames for a seek table: ${entries.length}`);
  const withChecksums = entries.length > 0 && entries.every((e) => e.checksum !== undefined);
  const entryBytes = withChecksums ? 12 : 8;
  const frameSize = entries.length * entryBytes + SEEK_TABLE_FOOTER_BYTES;
  const out = Buffer.alloc(SKIPPABLE_HEADER_BYTES + frameSize);
  out.writeUInt32LE(SEEK_TABLE_SKIPPABLE_MAGIC, 0);
  out.writeUInt32LE(frameSize, 4);
  let at = SKIPPABLE_HEADER_BYTES;
  for (const e of entries) {
    out.writeUInt32LE(e.compressedSize, at);
    out.writeUInt32LE(e.decompressedSize, at + 4);
    if (withChecksums) out.writeUInt32LE((e.checksum ?? 0) >>> 0, at + 8);
    at += entryBytes;
  }
  out.writeUInt32LE(entries.length, at);
  out.writeUInt8(withChecksums ? CHECKSUM_FLAG : 0, at + 4);
  out.writeUInt32LE(SEEKABLE_MAGIC, at + 5);
  return out;
}

/**
 * Decodes a seek table from the tail of a file, given the last bytes of that file (`tail`, the whole table
 * frame or more). Returns undefined when the tail does not end in a seek table; `need` when more bytes are needed
 * (the number of bytes of the table frame, from the footer), or a description of what is wrong with it.
 */
export function decodeSeekTable(tail: Buffer): SeekTable | { need: number } | { problem: string } | undefined {
  if (tail.length < SKIPPABLE_HEADER_BYTES + SEEK_TABLE_FOOTER_BYTES) return undefined;
  const footer = tail.length - SEEK_TABLE_FOOTER_BYTES;
  if (tail.readUInt32LE(footer + 5) !== SEEKABLE_MAGIC) return undefined;
  const count = tail.readUInt32LE(footer);
  const descriptor = tail.readUInt8(footer + 4);
  if ((descriptor & RESERVED_BITS) !== 0)
    return { problem: `seek table descriptor 0x${descriptor.toString(16)} has reserved bits set` };
  if (count > MAX_FRAMES) return { problem: `seek table claims ${count} frames` };
  const hasChecksums = (descriptor & CHECKSUM_FLAG) !== 0;
  const entryBytes = hasChecksums ? 12 : 8;
  const tableBytes = SKIPPABLE_HEADER_BYTES + count * entryBytes + SEEK_TABLE_FOOTER_BYTES;
  if (tail.length < tableBytes) return { need: tableBytes };
  const start = tail.length - tableBytes;
  if (
    tail.readUInt32LE(start) !== SEEK_TABLE_SKIPPABLE_MAGIC ||
    tail.readUInt32LE(start + 4) !== tableBytes - SKIPPABLE_HEADER_BYTES
  ) {
    // The last four bytes merely look like the seekable magic (e.g. the checksum of a frame made by the CLI).
    return undefined;
  }
  const entries: SeekTableEntry[] = [];
  for (let at = start + SKIPPABLE_HEADER_BYTES; at < footer; at += entryBytes) {
    entries.push({
      compressedSize: tail.readUInt32LE(at),
      decompressedSize: tail.readUInt32LE(at + 4),
      checksum: hasChecksums ? tail.readUInt32LE(at + 8) : undefined,
    });
  }
  return { entries, hasChecksums, tableBytes };
}

/**
 * Reads the seek table of an open file of `fileSize` bytes; undefined when the file has none. A table that is
 * present but inconsistent with the file (its frames do not add up to the file's size: truncated, appended to,
 * or damaged) is a CORRUPT error naming `path`.
 */
export async function readSeekTableFrom(
  fh: FileHandle,
  fileSize: number,
  path: string,
): Promise<SeekTable | undefined> {
  const minimum = SKIPPABLE_HEADER_BYTES + SEEK_TABLE_FOOTER_BYTES;
  if (fileSize < minimum) return undefined;
  let tail = await readAt(fh, fileSize - minimum, minimum, path);
  let decoded = decodeSeekTable(tail);
  if (decoded !== undefined && 'need' in decoded) {
    if (decoded.need > fileSize) return undefined; // footer-like bytes, but no room for such a table
    tail = await readAt(fh, fileSize - decoded.need, decoded.need, path);
    decoded = decodeSeekTable(tail);
  }
  if (decoded === undefined || 'need' in decoded) return undefined;
  if ('problem' in decoded) {
    throw new TickdbError('CORRUPT', `corrupt .zst: ${decoded.problem}: ${path}`, { path });
  }
  const framesBytes = decoded.entries.reduce((sum, e) => sum + e.compressedSize, 0);
  if (framesBytes + decoded.tableBytes !== fileSize) {
    throw new TickdbError(
      'CORRUPT',
      `corrupt .zst: its seek table lists ${decoded.entries.length} frames of ${framesBytes} bytes in all, but the file holds ` +
        `${fileSize - decoded.tableBytes} bytes before the table (truncated, appended to or damaged): ${path}`,
      { path },
    );
  }
  return decoded;
}

/** The seek table of the .zst at `path`, or undefined when it has none (a file made by the `zstd` CLI). */
export async function readSeekTable(path: string): Promise<SeekTable | undefined> {
  const { handle: fh, size } = await openWithSize(path);
  try {
    return await readSeekTableFrom(fh, size, path);
  } catch (err) {
    throw ioError('read', path, err);
  } finally {
    await fh.close().catch(() => undefined);
  }
}
