import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressFile } from '../../../src/zstd/compress-file.js';
import { decompressFile } from '../../../src/zstd/decompress-file.js';
import { ZSTD, makeTempDir, tickLikeData, zstdCli } from './fixtures.js';

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let dir = '';
let cleanup: () => Promise<void> = async () => undefined;
let data: Buffer;
let ours = ''; // made by compressFile: 3 frames + seek table
let cli = ''; // made by `zstd -19`: one frame with checksum and content size
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  data = tickLikeData(2 * MiB + 777, 5);
  await writeFile(join(dir, 'day.db'), data);
  ours = join(dir, 'ours.zst');
  await compressFile(join(dir, 'day.db'), ours, { level: 3, threads: 2, frameBytes: MiB });
  cli = join(dir, 'cli.zst');
  zstdCli(['-q', '-19', join(dir, 'day.db'), '-o', cli]);
});
afterAll(async () => cleanup());

async function expectSame(path: string, expected: Buffer, frames: number): Promise<void> {
  const out = join(dir, 'out.db');
  expect(await decompressFile(path, out, { threads: 2 })).toMatchObject({
    sha256: sha256(expected),
    bytes: expected.length,
    frames,
  });
  expect(sha256(await readFile(out))).toBe(sha256(expected));
  expect(await decompressFile(path, null, { threads: 1 })).toMatchObject({
    sha256: sha256(expected),
    bytes: expected.length,
    frames,
  });
  // Frames larger than the workers' buffer are decoded and handed over a buffer at a time.
  await rm(out);
  expect(await decompressFile(path, out, { threads: 2, bufferBytes: 64 * 1024 + 3 })).toMatchObject({
    sha256: sha256(expected),
    frames,
  });
  expect(sha256(await readFile(out))).toBe(sha256(expected));
}

describe('decompressFile on files made by tickdb', () => {
  it('reads its own frames, whole or a buffer at a time', async () => {
    await expectSame(ours, data, 3);
  });
});

describe('decompressFile on files made by the zstd CLI', () => {
  it('reads a single-frame file made by zstd -19', async () => {
    await expectSame(cli, data, 1);
  });

  it('reads a file made by zstd -T2 from stdin (no content size) without checksum', async () => {
    const path = join(dir, 'stdin.zst');
    zstdCli(['-q', '-3', '-T2', '--no-check', '-f', join(dir, 'day.db'), '-o', path, '--no-content-size']);
    await expectSame(path, data, 1);
  });

  it('reads concatenated frames (cat a.zst b.zst) and skips skippable frames between them', async () => {
    const second = tickLikeData(300_000, 11);
    await writeFile(join(dir, 'b.db'), second);
    zstdCli(['-q', '-3', '-f', join(dir, 'b.db'), '-o', join(dir, 'b.zst')]);
    const skippable = Buffer.alloc(8 + 5);
    skippable.writeUInt32LE(0x184d2a50, 0);
    skippable.writeUInt32LE(5, 4);
    const path = join(dir, 'concat.zst');
    await writeFile(path, Buffer.concat([await readFile(cli), skippable, await readFile(join(dir, 'b.zst'))]));
    await expectSame(path, Buffer.concat([data, second]), 2);
    // Our own file followed by another frame has a seek table that no longer ends the file: still readable.
    const mixed = join(dir, 'mixed.zst');
    await writeFile(mixed, Buffer.concat([await readFile(ours), await readFile(join(dir, 'b.zst'))]));
    await expectSame(mixed, Buffer.concat([data, second]), 4);
  });
});

describe('decompressFile on bad input raises CORRUPT naming the file', () => {
  async function expectCorrupt(path: string, message: RegExp): Promise<void> {
    const err: unknown = await decompressFile(path, null, { threads: 2 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TickdbError', code: 'CORRUPT', path });
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(path);
  }

  async function damaged(name: string, source: string, edit: (b: Buffer) => Buffer): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, edit(Buffer.from(await readFile(source))));
    return path;
  }

  it('a zero-byte file', async () => {
    const path = join(dir, 'zero.zst');
    await writeFile(path, '');
    await expectCorrupt(path, /empty file \(0 bytes\)/);
  });

  it('a file that is not zstd', async () => {
    const path = join(dir, 'garbage.zst');
    await writeFile(path, 'SQLite format 3\0 this is not zstd at all');
    await expectCorrupt(path, /not zstd/);
    const tiny = join(dir, 'tiny.zst');
    await writeFile(tiny, 'ab');
    await expectCorrupt(tiny, /not zstd/);
  });

  it('truncated files (ours: seek table gone; CLI: cut inside the frame)', async () => {
    for (const [name, source] of [
      ['trunc-ours.zst', ours],
      ['trunc-cli.zst', cli],
    ] as const) {
      const path = join(dir, name);
      await writeFile(path, await readFile(source));
      const size = (await readFile(path)).length;
      await truncate(path, Math.floor(size * 0.6));
      await expectCorrupt(path, /truncated: frame \d+ ends past end of file/);
    }
  });

  it('a file cut inside its seek table', async () => {
    const path = await damaged('trunc-table.zst', ours, (b) => b.subarray(0, b.length - 3));
    await expectCorrupt(path, /truncated|garbage/);
  });

  it('a flipped byte in the middle (ours and CLI)', async () => {
    for (const [name, source] of [
      ['flip-ours.zst', ours],
      ['flip-cli.zst', cli],
    ] as const) {
      const path = await damaged(name, source, (b) => {
        const i = Math.floor(b.length / 2);
        b[i] = (b[i] ?? 0) ^ 0x40;
        return b;
      });
      await expectCorrupt(path, /does not decode|truncated|block/);
    }
  });

  it('a frame whose window exceeds the decoder limit (zstd --long=28 from stdin)', async () => {
    const path = join(dir, 'long28.zst');
    await writeFile(path, execFileSync(ZSTD, ['-q', '-c', '--long=28'], { input: tickLikeData(10_000) }));
    await expectCorrupt(path, /unsupported .zst: frame 1 .*too much memory/);
  });

  it('garbage appended after the last frame of a CLI file', async () => {
    const path = await damaged('tail.zst', cli, (b) => Buffer.concat([b, Buffer.from('garbage!')]));
    await expectCorrupt(path, /garbage after frame 1/);
  });

  it('a seek table that does not match the file', async () => {
    const path = await damaged('table.zst', ours, (b) => {
      const first = b.length - 9 - 12 * 3; // the first entry's Compressed_Size
      b.writeUInt32LE(b.readUInt32LE(first) + 1, first);
      return b;
    });
    await expectCorrupt(path, /seek table/);
  });
});

describe('decompressFile on a full disk', () => {
  it('reports NO_SPACE naming the output, written by the sink thread', async () => {
    await expect(decompressFile(ours, '/dev/full', { threads: 2 })).rejects.toMatchObject({
      code: 'NO_SPACE',
      path: '/dev/full',
      message: expect.stringMatching(/write failed: no space left on device: \/dev\/full/),
    });
  });
});
