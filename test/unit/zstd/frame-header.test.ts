import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { concurrencyFor } from '../../../src/zstd/file-io.js';
import { blocksEnd, isSkippableMagic, parseFrameHeader, sealFrame } from '../../../src/zstd/frame-header.js';
import { compressBuffer, decompressBuffer } from '../../../src/zstd/native.js';
import { xxh64Hex } from '../../../src/zstd/xxhash64.js';
import { ZSTD, tickLikeData } from './fixtures.js';

const low32 = (data: Uint8Array): number => Number.parseInt(xxh64Hex(data).slice(8), 16);

describe('frame header', () => {
  it('sealFrame adds content size and checksum that zstd -t and the native decoder accept', async () => {
    for (const data of [Buffer.alloc(0), Buffer.from('hello'), tickLikeData(300_000)]) {
      const sealed = sealFrame(await compressBuffer(data, 3), data.length, low32(data));
      const header = parseFrameHeader(sealed);
      expect(header).toMatchObject({ hasChecksum: true, contentSize: data.length });
      expect((await decompressBuffer(sealed)).equals(data)).toBe(true);
      execFileSync(ZSTD, ['-t', '-q'], { input: sealed }); // throws on a bad checksum or size
    }
  });

  it('a wrong checksum is caught by the native decoder and by zstd -t', async () => {
    const data = tickLikeData(50_000);
    const sealed = sealFrame(await compressBuffer(data, 3), data.length, low32(data) ^ 1);
    await expect(decompressBuffer(sealed)).rejects.toThrow(/checksum/);
    expect(() => execFileSync(ZSTD, ['-t', '-q'], { input: sealed, stdio: ['pipe', 'ignore', 'ignore'] })).toThrow();
  });

  it('sealFrame refuses what is not exactly one frame of the stated size', async () => {
    const frame = await compressBuffer(Buffer.from('abc'), 3);
    expect(() => sealFrame(Buffer.concat([frame, frame]), 3, 0)).toThrow(/not exactly one frame/);
    expect(() => sealFrame(frame.subarray(0, frame.length - 1), 3, 0)).toThrow(/bad frame/);
    expect(() => sealFrame(Buffer.from('not zstd'), 3, 0)).toThrow(/not a zstd frame/);
    const cli = execFileSync(ZSTD, ['-q', '-c', '--stream-size=3'], { input: Buffer.from('abc') });
    expect(sealFrame(cli, 3, 0)).toBe(cli); // already has a checksum: unchanged
    expect(() => sealFrame(cli, 4, 0)).toThrow(/declares 3 bytes/);
  });

  it('parses CLI headers and finds the end of the blocks', () => {
    const data = tickLikeData(400_000);
    const cli = execFileSync(ZSTD, ['-q', '-c', '-3', '--stream-size=400000'], { input: data });
    const header = parseFrameHeader(cli);
    expect(header).toMatchObject({ hasChecksum: true, contentSize: 400_000 });
    if (typeof header === 'object') expect(blocksEnd(cli, header)).toBe(cli.length - 4);
    expect(parseFrameHeader(cli.subarray(0, 5))).toBe('short');
    const reserved = Buffer.from(cli);
    reserved[4] = (reserved[4] ?? 0) | 0x08;
    expect(parseFrameHeader(reserved)).toBe('reserved bit set');
    expect(isSkippableMagic(0x184d2a5e)).toBe(true);
    expect(isSkippableMagic(0xfd2fb528)).toBe(false);
  });
});

describe('concurrencyFor', () => {
  const saved = process.env.UV_THREADPOOL_SIZE;
  afterEach(() => {
    if (saved === undefined) delete process.env.UV_THREADPOOL_SIZE;
    else process.env.UV_THREADPOOL_SIZE = saved;
  });

  it('leaves one libuv pool thread free for I/O', () => {
    delete process.env.UV_THREADPOOL_SIZE;
    expect(concurrencyFor(2)).toBe(2);
    expect(concurrencyFor(4)).toBe(3);
    process.env.UV_THREADPOOL_SIZE = '8';
    expect(concurrencyFor(4)).toBe(4);
    process.env.UV_THREADPOOL_SIZE = '1';
    expect(concurrencyFor(4)).toBe(1);
    expect(() => concurrencyFor(0)).toThrow(/positive integer/);
  });
});
