import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { TickdbError, errnoOf, ioError } from '../errors.js';
import { decompressFile } from './decompress-file.js';
import { nativeMessage, zstdBinding } from './engine.js';
import { readSeekTable } from './seek-table.js';

/** Decoded bytes hashed and written at a time, while they are in the CPU's cache (see decompress-file.ts). */
const SLICE_BYTES = 256 * 1024;

/** This thread's decoder and buffers, kept for its next file: a query's day worker decodes day after day. */
let state: { dctx: InstanceType<ReturnType<typeof zstdBinding>['DCtx']>; input: Buffer; output: Buffer } | undefined;

function corrupt(path: string, what: string): TickdbError {
  return new TickdbError('CORRUPT', `corrupt .zst: ${what}: ${path}`, {
    path,
    hint: 'the file was left as it is; run `tickdb verify --deep` and restore the day from its backup or another copy',
  });
}

function buffers(inputBytes: number, outputBytes: number): NonNullable<typeof state> {
  const zstd = zstdBinding();
  state ??= { dctx: new zstd.DCtx(), input: Buffer.alloc(0), output: Buffer.alloc(0) };
  if (state.input.length < inputBytes) state.input = Buffer.allocUnsafe(inputBytes);
  if (state.output.length < outputBytes) state.output = Buffer.allocUnsafe(outputBytes);
  return state;
}

/** What decompressFileHere hashed: the content (`sha256`), the `.zst` file itself (`zstSha256`), or both. */
export interface HereResult {
  sha256: string | undefined;
  zstSha256: string | undefined;
  bytes: number;
  frames: number;
  threads: number;
}

/** Frame_Header_Descriptor bit 2 (RFC 8878 3.1.1.1.1): the frame ends with a checksum of its content. */
const CONTENT_CHECKSUM_FLAG = 0x04;

function hasContentChecksum(frame: Buffer): boolean {
  return frame.length > 4 && ((frame[4] ?? 0) & CONTENT_CHECKSUM_FLAG) !== 0;
}

/**
 * Decompresses the .zst `src` into `dst` on the calling thread, one frame at a time, with one decoder and buffers
 * kept for the thread's next file, and returns the SHA-256 and size of the content. For callers that are already on
 * a worker thread of their own and decode many files one after the other (a query's day workers): `decompressFile`
 * starts frame workers and a sink worker for each file, which costs more than decoding a 50 MB day. A file without
 * a seek table (made by the `zstd` CLI) goes through `decompressFile`. Each frame's content checksum is verified by
 * libzstd, its size against the seek table. On failure a partial `dst` is left for the caller to delete.
 *
 * `hashZst` hashes the file as it is read (every byte, the seek table included: 24 MB for a 50 MB day at level 3,
 * against 53 MB of content), and then the content only if `hashContent` says so, for a caller that checks it against the `.zst`'s recorded
 * SHA-256 (DESIGN 14): that the content is then the recorded one rests on the compress step, which checked that
 * these bytes decode to it before recording their hash, and on each frame's content checksum, checked by libzstd
 * as it decodes. A frame without one (made elsewhere) makes the content hashed too, as does a file without a seek
 * table (decoded by `decompressFile`).
 */
export async function decompressFileHere(
  src: string,
  dst: string,
  opts: { hashContent?: boolean; hashZst?: boolean } = {},
): Promise<HereResult> {
  const table = await readSeekTable(src);
  if (table === undefined) return { ...(await decompressFile(src, dst, { threads: 1 })), zstSha256: undefined };
  const largestIn = Math.max(0, ...table.entries.map((e) => e.compressedSize));
  const largestOut = Math.max(0, ...table.entries.map((e) => e.decompressedSize));
  const { dctx, input, output } = buffers(largestIn, Math.min(largestOut, 64 * 1024 * 1024) || 1);
  const zstd = zstdBinding();
  const zstHash = opts.hashZst === true ? createHash('sha256') : undefined;
  let hash = zstHash === undefined || opts.hashContent === true ? createHash('sha256') : undefined;
  let fdIn: number | undefined;
  let fdOut: number | undefined;
  let bytes = 0;
  const emit = (data: Buffer): void => {
    for (let at = 0; at < data.length; at += SLICE_BYTES) {
      const slice = data.subarray(at, at + SLICE_BYTES);
      hash?.update(slice);
      for (let done = 0; done < slice.length; )
        done += writeSync(fdOut ?? -1, slice, done, slice.length - done, bytes + at + done);
    }
    bytes += data.length;
  };
  try {
    fdIn = openSync(src, 'r');
    fdOut = openSync(dst, 'w', 0o600);
    let offset = 0;
    for (const [i, entry] of table.entries.entries()) {
      const frame = input.subarray(0, entry.compressedSize);
      let got = 0;
      while (got < frame.length) {
        const n = readSync(fdIn, frame, got, frame.length - got, offset + got);
        if (n === 0) throw corrupt(src, `truncated: frame ${i + 1} ends past end of file`);
        got += n;
      }
      zstHash?.update(frame);
      if (zstHash !== undefined && hash === undefined && !hasContentChecksum(frame)) {
        if (bytes > 0) throw corrupt(src, `frame ${i + 1} has no content checksum, unlike the frames before it`);
        hash = createHash('sha256'); // the first frame has none: hash the content too (frames of one file agree)
      }
      dctx.reset(zstd.ResetDirective.sessionOnly);
      const before = bytes;
      let inAt = 0;
      let outAt = 0;
      for (;;) {
        let result: [number, number, number];
        try {
          result = dctx.decompressStream(output.subarray(outAt), frame.subarray(inAt));
        } catch (err) {
          throw corrupt(src, `frame ${i + 1} (offset ${offset}) does not decode: ${nativeMessage(err)}`);
        }
        const [hint, produced, consumed] = result;
        outAt += produced;
        inAt += consumed;
        if (hint === 0 || outAt === output.length) {
          emit(output.subarray(0, outAt));
          outAt = 0;
        }
        if (hint === 0) break;
        if (inAt === frame.length && produced === 0)
          throw corrupt(src, `frame ${i + 1} (offset ${offset}) is incomplete`);
      }
      if (inAt !== frame.length) throw corrupt(src, `frame ${i + 1} (offset ${offset}) has trailing bytes`);
      if (bytes - before !== entry.decompressedSize) {
        throw corrupt(
          src,
          `frame ${i + 1} decodes to ${bytes - before} bytes, the seek table says ${entry.decompressedSize}`,
        );
      }
      offset += entry.compressedSize;
    }
    if (zstHash !== undefined) hashRest(fdIn, offset, input, zstHash);
  } catch (err) {
    if (err instanceof TickdbError) throw err;
    const path = errnoOf(err) !== undefined && fdOut !== undefined ? dst : src;
    throw ioError('decompress', path, err);
  } finally {
    if (fdIn !== undefined) closeSync(fdIn);
    if (fdOut !== undefined) closeSync(fdOut);
  }
  return {
    sha256: hash?.digest('hex'),
    zstSha256: zstHash?.digest('hex'),
    bytes,
    frames: table.entries.length,
    threads: 1,
  };
}

/** Hashes what follows the frames (the seek table's skippable frame) to the end of the file. */
function hashRest(fd: number, from: number, frameBuffer: Buffer, hash: ReturnType<typeof createHash>): void {
  const buffer = frameBuffer.length >= 65536 ? frameBuffer : Buffer.allocUnsafe(65536);
  for (let at = from; ; ) {
    const n = readSync(fd, buffer, 0, buffer.length, at);
    if (n === 0) return;
    hash.update(buffer.subarray(0, n));
    at += n;
  }
}
