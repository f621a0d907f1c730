import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TickdbError } from '../../../src/errors.js';
import { compressFile, planFrames } from '../../../src/zstd/compress-file.js';
import { decompressFile } from '../../../src/zstd/decompress-file.js';
import { parseFrameHeader } from '../../../src/zstd/frame-header.js';
import { readSeekTable } from '../../../src/zstd/seek-table.js';
import { makeTempDir, tickLikeData, zstdCli, zstdCliStatus } from './fixtures.js';

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let dir = '';
let cleanup: () => Promise<void> = async () => undefined;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => cleanup());

describe('frames written by libzstd', () => {
  it('carry their content size and content checksum, the checksum also in the seek table', async () => {
    const data = tickLikeData(3 * MiB + 5, 4);
    const src = join(dir, 'frames.db');
    const zst = join(dir, 'frames.zst');
    await writeFile(src, data);
    await compressFile(src, zst, { level: 3, threads: 2, frameBytes: MiB });
    const file = await readFile(zst);
    const table = await readSeekTable(zst);
    let at = 0;
    for (const e of table?.entries ?? []) {
      const frame = file.subarray(at, at + e.compressedSize);
      expect(parseFrameHeader(frame)).toMatchObject({ hasChecksum: true, contentSize: e.decompressedSize });
      expect(frame.readUInt32LE(frame.length - 4)).toBe(e.checksum);
      at += e.compressedSize;
    }
    expect(table?.entries.length).toBe(4);
  });

  it('a wrong content checksum is caught by our decoder and by zstd -t', async () => {
    const zst = join(dir, 'frames.zst');
    const bad = join(dir, 'bad-checksum.zst');
    const file = Buffer.from(await readFile(zst));
    const first = (await readSeekTable(zst))?.entries[0]?.compressedSize ?? 0;
    file[first - 1] = (file[first - 1] ?? 0) ^ 0x01; // the first frame's checksum, last byte
    await writeFile(bad, file);
    await expect(decompressFile(bad, null, { threads: 2 })).rejects.toMatchObject({
      code: 'CORRUPT',
      message: expect.stringMatching(/frame 1 .*checksum/),
    });
    expect(zstdCliStatus(['-t', '-q', bad]).status).not.toBe(0);
  });

  it('rejects a level outside 1..22', async () => {
    const src = join(dir, 'level-range.db');
    await writeFile(src, 'x');
    await expect(compressFile(src, join(dir, 'l0.zst'), { level: 0, threads: 1 })).rejects.toBeInstanceOf(TickdbError);
    await expect(compressFile(src, join(dir, 'l23.zst'), { level: 23, threads: 1 })).rejects.toBeInstanceOf(
      TickdbError,
    );
  });
});

describe('planFrames', () => {
  it('evens frames out across threads, never above the maximum nor below 1 MiB for that', () => {
    const size = Math.round(201.4 * MiB);
    expect(planFrames(size, 32 * MiB, 2)).toEqual({ frameBytes: Math.ceil(size / 8), frames: 8 });
    expect(planFrames(size, 32 * MiB, 1)).toEqual({ frameBytes: Math.ceil(size / 7), frames: 7 });
    expect(planFrames(100 * MiB, 32 * MiB, 2)).toEqual({ frameBytes: 25 * MiB, frames: 4 });
    expect(planFrames(64 * MiB, 32 * MiB, 2)).toEqual({ frameBytes: 32 * MiB, frames: 2 });
    expect(planFrames(5 * MiB, MiB, 3)).toEqual({ frameBytes: MiB, frames: 5 });
    expect(planFrames(1000, 32 * MiB, 4)).toEqual({ frameBytes: MiB, frames: 1 });
    expect(planFrames(0, 32 * MiB, 2)).toEqual({ frameBytes: 32 * MiB, frames: 1 });
    expect(planFrames(10_000, 1024, 2)).toEqual({ frameBytes: 1024, frames: 10 });
  });
});

describe('compressFile', () => {
  it('level 19 output is smaller than level 3 output on the same file', async () => {
    const src = join(dir, 'level.db');
    await writeFile(src, tickLikeData(MiB, 3));
    const r3 = await compressFile(src, join(dir, 'level3.zst'), { level: 3, threads: 2, frameBytes: MiB / 2 });
    const r19 = await compressFile(src, join(dir, 'level19.zst'), { level: 19, threads: 2, frameBytes: MiB / 2 });
    expect(r19.zstBytes).toBeLessThan(r3.zstBytes * 0.95);
    expect(r19.sourceSha256).toBe(r3.sourceSha256);
  });

  const sizes: [string, number][] = [
    ['a multi-frame file (5 MiB in 1 MiB frames)', 5 * MiB],
    ['a file that is not a multiple of the frame size', 3 * MiB + 12_345],
    ['an empty file', 0],
    ['a file smaller than one frame', 1000],
  ];
  for (const [name, size] of sizes) {
    it(`round-trips ${name}, byte-identical with our decoder and with zstd -d`, async () => {
      const data = tickLikeData(size, size + 1);
      const src = join(dir, `rt-${size}.db`);
      const zst = join(dir, `rt-${size}.db.zst`);
      await writeFile(src, data);
      const progress: number[] = [];
      const r = await compressFile(src, zst, {
        level: 3,
        threads: 3,
        frameBytes: MiB,
        onProgress: (p) => progress.push(p.bytesIn),
      });
      const zstBytes = await readFile(zst);
      const expectedFrames = Math.max(1, Math.ceil(size / MiB));
      expect(r).toEqual({
        sourceSha256: sha256(data),
        sourceBytes: size,
        zstSha256: sha256(zstBytes),
        zstBytes: zstBytes.length,
        frames: expectedFrames,
        threads: Math.min(3, availableParallelism(), expectedFrames),
      });
      expect(progress.at(-1)).toBe(size);

      // Our decoder, without and with an output file.
      const verify = await decompressFile(zst, null, { threads: 2 });
      expect(verify).toEqual({
        sha256: sha256(data),
        bytes: size,
        frames: expectedFrames,
        threads: Math.min(2, availableParallelism(), expectedFrames),
      });
      const out = join(dir, `rt-${size}.out`);
      expect(await decompressFile(zst, out, { threads: 2 })).toEqual(verify);
      expect(sha256(await readFile(out))).toBe(sha256(data));

      // The zstd CLI: test, decompress, list.
      expect(zstdCliStatus(['-t', '-q', zst]).status).toBe(0);
      const cliOut = join(dir, `rt-${size}.cli`);
      zstdCli(['-d', '-q', '-f', zst, '-o', cliOut]);
      expect(sha256(await readFile(cliOut))).toBe(sha256(data));
      const listing = zstdCli(['-lv', zst]);
      expect(listing).toContain(`# Zstandard Frames: ${expectedFrames}`);
      expect(listing).toContain('# Skippable Frames: 1');
      expect(listing).toContain('Check: XXH64');
      expect(listing).toMatch(new RegExp(`Decompressed Size: .*\\(${size} B\\)`));

      // The seek table lists every frame.
      const table = await readSeekTable(zst);
      expect(table?.entries.length).toBe(expectedFrames);
      expect(table?.hasChecksums).toBe(true);
      expect(table?.entries.reduce((s, e) => s + e.decompressedSize, 0)).toBe(size);
    });
  }

  it('stops at the next frame when aborted, leaving a partial output for the caller', async () => {
    const src = join(dir, 'abort.db');
    await writeFile(src, tickLikeData(4 * MiB, 9));
    const controller = new AbortController();
    const run = compressFile(src, join(dir, 'abort.zst'), {
      level: 3,
      threads: 1,
      frameBytes: MiB,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect((await stat(join(dir, 'abort.zst'))).size).toBeLessThan(4 * MiB);
  });

  it('reports a full disk as NO_SPACE naming the output', async () => {
    const src = join(dir, 'full.db');
    await writeFile(src, tickLikeData(200_000));
    await expect(compressFile(src, '/dev/full', { level: 1, threads: 1 })).rejects.toMatchObject({
      code: 'NO_SPACE',
      path: '/dev/full',
    });
  });

  it('reports an unwritable output and a missing source as IO errors naming them', async () => {
    const src = join(dir, 'io.db');
    await writeFile(src, 'x');
    const badDst = join(dir, 'no-such-dir', 'x.zst');
    await expect(compressFile(src, badDst, { level: 1, threads: 1 })).rejects.toMatchObject({
      code: 'IO',
      path: badDst,
    });
    await expect(compressFile(src, join(dir, '.', 'io.db'), { level: 1, threads: 1 })).rejects.toMatchObject({
      code: 'USAGE',
    });
    await expect(decompressFile(src, src, { threads: 1 })).rejects.toMatchObject({ code: 'USAGE' });
    expect(await readFile(src, 'utf8')).toBe('x');
    const missing = join(dir, 'missing.db');
    await expect(compressFile(missing, join(dir, 'm.zst'), { level: 1, threads: 1 })).rejects.toMatchObject({
      code: 'IO',
      path: missing,
    });
  });
});
