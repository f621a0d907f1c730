import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { TickdbError, errnoOf, ioError } from '../errors.js';
import type { DecompressResult } from './decompress-file.js';
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

/**
 * Decompresses the .zst `src` into `dst` on the calling thread, one frame at a time, with one decoder and buffers
 * kept for the thread's next file, and returns the SHA-256 and size of the content. For callers that are already on
 * a worker thread of their own and decode many files one after the other (a query's day workers): `decompressFile`
 * starts frame workers and a sink worker for each file, which costs more than decoding a 50 MB day. A file without
 * a seek table (made by the `zstd` CLI) goes through `decompressFile`. Each frame's content checksum is verified by
 * libzstd, its size against the seek table. On failure a partial `dst` is left for the caller to delete.
 */
export async function decompressFileHere(src: string, dst: string): Promise<DecompressResult> {
  const table = await readSeekTable(src);
  if (table === undefined) return decompressFile(src, dst, { threads: 1 });
  const largestIn = Math.max(0, ...table.entries.map((e) => e.compressedSize));
  const largestOut = Math.max(0, ...table.entries.map((e) => e.decompressedSize));
  const { dctx, input, output } = buffers(largestIn, Math.min(largestOut, 64 * 1024 * 1024) || 1);
  const zstd = zstdBinding();
  const hash = createHash('sha256');
  let fdIn: number | undefined;
  let fdOut: number | undefined;
  let bytes = 0;
  const emit = (data: Buffer): void => {
    for (let at = 0; at < data.length; at += SLICE_BYTES) {
      const slice = data.subarray(at, at + SLICE_BYTES);
      hash.update(slice);
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
  } catch (err) {
    if (err instanceof TickdbError) throw err;
    const path = errnoOf(err) !== undefined && fdOut !== undefined ? dst : src;
    throw ioError('decompress', path, err);
  } finally {
    if (fdIn !== undefined) closeSync(fdIn);
    if (fdOut !== undefined) closeSync(fdOut);
  }
  return { sha256: hash.digest('hex'), bytes, frames: table.entries.length, threads: 1 };
}
