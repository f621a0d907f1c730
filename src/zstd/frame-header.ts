/**
 * The zstd frame format (RFC 8878, section 3.1), as much of it as tickdb needs without decoding: frame and block
 * headers, so that the frames of a file made by the `zstd` CLI can be found by walking block headers
 * (frame-scan.ts) and decoded in parallel. Content size and checksum of tickdb's own frames are written by libzstd.
 */

export const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames use magics 0x184D2A50 .. 0x184D2A5F. */
export const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
export const SKIPPABLE_MAGIC_BASE = 0x184d2a50;
/** A zstd frame header is at most 4 (magic) + 1 + 1 + 4 + 8 bytes. */
export const MAX_FRAME_HEADER_BYTES = 18;
export const BLOCK_HEADER_BYTES = 3;
/** Block_Maximum_Size: no block carries more than 128 KiB. */
export const MAX_BLOCK_BYTES = 128 * 1024;

export function isSkippableMagic(magic: number): boolean {
  return (magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC_BASE;
}

export interface FrameHeader {
  /** Bytes from the frame's magic number to its first block header. */
  headerBytes: number;
  singleSegment: boolean;
  hasChecksum: boolean;
  /** Offset (within the header) and size of the Frame_Content_Size field; size 0 when absent. */
  fcsOffset: number;
  fcsBytes: number;
  /** Decompressed size declared in the header, when it declares one. */
  contentSize: number | undefined;
}

/** Why a header cannot be parsed: more bytes are needed than given, or a reserved bit is set. */
export type HeaderProblem = 'short' | 'reserved bit set';

/**
 * Parses a zstd frame header at the start of `b` (which starts with the magic number; the caller has checked it).
 * `b` may be longer than the header.
 */
export function parseFrameHeader(b: Uint8Array): FrameHeader | HeaderProblem {
  if (b.length < 5) return 'short';
  const d = b[4] as number;
  const fcsFlag = d >>> 6;
  const singleSegment = (d & 0x20) !== 0;
  if ((d & 0x08) !== 0) return 'reserved bit set';
  const hasChecksum = (d & 0x04) !== 0;
  const dictBytes = [0, 1, 2, 4][d & 0x03] as number;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : ([0, 2, 4, 8][fcsFlag] as number);
  const fcsOffset = 5 + (singleSegment ? 0 : 1) + dictBytes;
  const headerBytes = fcsOffset + fcsBytes;
  if (b.length < headerBytes) return 'short';
  let contentSize: number | undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (fcsBytes === 1) contentSize = view.getUint8(fcsOffset);
  else if (fcsBytes === 2) contentSize = view.getUint16(fcsOffset, true) + 256;
  else if (fcsBytes === 4) contentSize = view.getUint32(fcsOffset, true);
  else if (fcsBytes === 8) contentSize = Number(view.getBigUint64(fcsOffset, true));
  return { headerBytes, singleSegment, hasChecksum, fcsOffset, fcsBytes, contentSize };
}

export interface BlockHeader {
  last: boolean;
  /** 0 raw, 1 RLE, 2 compressed (3 is reserved and rejected by `parseBlockHeader`). */
  type: number;
  /** Bytes of block content after the 3-byte header (1 for an RLE block). */
  contentBytes: number;
}

/** Parses the 3-byte block header at b[at]; returns a description of the problem for an invalid one. */
export function parseBlockHeader(b: Uint8Array, at: number): BlockHeader | string {
  const raw = (b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16);
  const last = (raw & 1) !== 0;
  const type = (raw >>> 1) & 3;
  const size = raw >>> 3;
  if (type === 3) return 'reserved block type';
  if (size > MAX_BLOCK_BYTES) return `block size ${size} exceeds the 128 KiB maximum`;
  return { last, type, contentBytes: type === 1 ? 1 : size };
}
