import type { FileHandle } from 'node:fs/promises';
import { TickdbError } from '../errors.js';
import { readAt } from './file-io.js';
import {
  BLOCK_HEADER_BYTES,
  MAX_FRAME_HEADER_BYTES,
  ZSTD_MAGIC,
  isSkippableMagic,
  parseBlockHeader,
  parseFrameHeader,
} from './frame-header.js';

/** One frame of a .zst file, located without decoding it. */
export interface FrameSpan {
  offset: number;
  length: number;
  kind: 'zstd' | 'skippable';
  /** 1-based position among the file's frames of either kind, for messages. */
  number: number;
  /** Decompressed size declared by a zstd frame's header, if it declares one. */
  contentSize?: number | undefined;
}

function corrupt(path: string, what: string): TickdbError {
  return new TickdbError('CORRUPT', `corrupt .zst: ${what}: ${path}`, {
    path,
    hint: 'the file was left as it is; quarantine it and restore the day from its backup or another copy',
  });
}

function hex(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Locates the frames of a .zst file by walking frame headers and, inside zstd frames, the 3-byte block headers
 * (size and last-block flag), reading only those headers. This is how files made by the `zstd` CLI (one frame,
 * possibly without content size, or several frames from a concatenation) are split for decoding, since the
 * native binding decodes whole buffers only. Anything that is not a sequence of complete frames is a
 * TickdbError CORRUPT naming `path` and what is wrong; a block header whose bytes are damaged usually shows up
 * as a truncation or garbage further on, and anything the walk misses is caught by the decoder itself.
 */
export async function* scanFrames(fh: FileHandle, fileSize: number, path: string): AsyncGenerator<FrameSpan> {
  if (fileSize === 0) throw corrupt(path, 'empty file (0 bytes), not a zstd stream');
  let offset = 0;
  let number = 0;
  while (offset < fileSize) {
    number++;
    const head = await readAt(fh, offset, MAX_FRAME_HEADER_BYTES, path);
    if (head.length < 4) {
      throw corrupt(
        path,
        number === 1
          ? `not zstd: only ${fileSize} bytes`
          : `truncated: ${head.length} stray bytes after frame ${number - 1} at offset ${offset}`,
      );
    }
    const magic = head.readUInt32LE(0);
    if (isSkippableMagic(magic)) {
      if (head.length < 8)
        throw corrupt(path, `truncated: skippable frame ${number} at offset ${offset} ends inside its header`);
      const length = 8 + head.readUInt32LE(4);
      if (offset + length > fileSize) {
        throw corrupt(
          path,
          `truncated: skippable frame ${number} at offset ${offset} ends past end of file (${offset + length} > ${fileSize})`,
        );
      }
      yield { offset, length, kind: 'skippable', number };
      offset += length;
      continue;
    }
    if (magic !== ZSTD_MAGIC) {
      throw corrupt(
        path,
        number === 1
          ? `not zstd: the file starts with bytes ${hex(head.subarray(0, 4))}, not the zstd magic number 28 b5 2f fd`
          : `garbage after frame ${number - 1}: bytes ${hex(head.subarray(0, 4))} at offset ${offset} are not a frame`,
      );
    }
    const header = parseFrameHeader(head);
    if (header === 'short')
      throw corrupt(path, `truncated: frame ${number} at offset ${offset} ends inside its header`);
    if (typeof header === 'string') throw corrupt(path, `frame ${number} at offset ${offset}: ${header} in its header`);
    let at = offset + header.headerBytes;
    for (;;) {
      const bh = await readAt(fh, at, BLOCK_HEADER_BYTES, path);
      if (bh.length < BLOCK_HEADER_BYTES)
        throw corrupt(path, `truncated: frame ${number} ends past end of file (block header at offset ${at})`);
      const block = parseBlockHeader(bh, 0);
      if (typeof block === 'string') throw corrupt(path, `frame ${number}: ${block} at offset ${at}`);
      at += BLOCK_HEADER_BYTES + block.contentBytes;
      if (block.last) break;
      if (at >= fileSize)
        throw corrupt(
          path,
          `truncated: frame ${number} ends past end of file (no last block before offset ${fileSize})`,
        );
    }
    if (header.hasChecksum) at += 4;
    if (at > fileSize) throw corrupt(path, `truncated: frame ${number} ends past end of file (${at} > ${fileSize})`);
    yield { offset, length: at - offset, kind: 'zstd', number, contentSize: header.contentSize };
    offset = at;
  }
}
