import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressFile } from '../../../src/zstd/compress-file.js';
import { decodeSeekTable, encodeSeekTable, readSeekTable } from '../../../src/zstd/seek-table.js';
import { needProgram } from '../../helpers/external-programs.js';
import { makeTempDir, tickLikeData, zstdCli } from './fixtures.js';

let dir = '';
let cleanup: () => Promise<void> = async () => undefined;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => cleanup());

describe('seek table', () => {
  it('encodes the seekable format byte for byte', () => {
    const table = encodeSeekTable([{ compressedSize: 0x0102, decompressedSize: 0x0304, checksum: 0xdeadbeef }]);
    expect(table.toString('hex')).toBe(
      '5e2a4d18' + '15000000' + '02010000' + '04030000' + 'efbeadde' + '01000000' + '80' + 'b1ea928f',
    );
  });

  it('round-trips, with and without checksums', () => {
    const withSums = [
      { compressedSize: 10, decompressedSize: 100, checksum: 1 },
      { compressedSize: 4_000_000_000, decompressedSize: 33_554_432, checksum: 0xffffffff },
    ];
    const decoded = decodeSeekTable(encodeSeekTable(withSums));
    expect(decoded).toEqual({ entries: withSums, hasChecksums: true, tableBytes: 8 + 2 * 12 + 9 });
    const without = [{ compressedSize: 7, decompressedSize: 9 }];
    expect(decodeSeekTable(encodeSeekTable(without))).toEqual({
      entries: [{ compressedSize: 7, decompressedSize: 9, checksum: undefined }],
      hasChecksums: false,
      tableBytes: 8 + 8 + 9,
    });
  });

  it('asks for more bytes when given only the footer, and ignores tails that are not a seek table', () => {
    const table = encodeSeekTable([
      { compressedSize: 1, decompressedSize: 2 },
      { compressedSize: 3, decompressedSize: 4 },
    ]);
    expect(decodeSeekTable(table.subarray(table.length - 17))).toEqual({ need: table.length });
    expect(decodeSeekTable(Buffer.alloc(40))).toBeUndefined();
    const fake = Buffer.alloc(8 + 8 + 9);
    fake.writeUInt32LE(0x8f92eab1, fake.length - 4);
    fake.writeUInt32LE(1, fake.length - 9); // one frame, but no skippable frame header in front
    expect(decodeSeekTable(fake)).toBeUndefined();
  });

  it.skipIf(!needProgram('xxhsum'))(
    'reads the table of a file made by compressFile, matching the frames and their content',
    async () => {
      const data = tickLikeData(2_500_000, 2);
      const src = join(dir, 'day.db');
      const zst = join(dir, 'day.db.zst');
      await writeFile(src, data);
      const result = await compressFile(src, zst, { level: 1, threads: 2, frameBytes: 1 << 20 });
      const table = await readSeekTable(zst);
      expect(table?.entries.map((e) => e.decompressedSize)).toEqual([1 << 20, 1 << 20, 2_500_000 - 2 * (1 << 20)]);
      expect(table?.entries.reduce((s, e) => s + e.compressedSize, 0)).toBe(result.zstBytes - (table?.tableBytes ?? 0));
      // Each entry's checksum is the low 32 bits of XXH64 of that frame's content, as `xxhsum -H64` computes it.
      let at = 0;
      for (const e of table?.entries ?? []) {
        const digest = execFileSync('xxhsum', ['-H64'], {
          input: data.subarray(at, at + e.decompressedSize),
          encoding: 'utf8',
        });
        expect(e.checksum).toBe(Number.parseInt(digest.slice(8, 16), 16));
        at += e.decompressedSize;
      }
    },
  );

  it('is undefined for a file made by the zstd CLI, and for a file too small to hold one', async () => {
    await writeFile(join(dir, 'cli.db'), tickLikeData(100_000));
    zstdCli(['-q', '-3', join(dir, 'cli.db'), '-o', join(dir, 'cli.zst')]);
    expect(await readSeekTable(join(dir, 'cli.zst'))).toBeUndefined();
    await writeFile(join(dir, 'small.zst'), Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    expect(await readSeekTable(join(dir, 'small.zst'))).toBeUndefined();
  });

  it('a seek table whose frames do not add up to the file is CORRUPT', async () => {
    const zst = join(dir, 'day.db.zst');
    const bad = join(dir, 'bad.zst');
    const bytes = await readFile(zst);
    await writeFile(bad, Buffer.concat([Buffer.from([0]), bytes]));
    await expect(readSeekTable(bad)).rejects.toMatchObject({ code: 'CORRUPT', path: bad });
  });

  it('a missing file is an IO error naming it', async () => {
    const missing = join(dir, 'missing.zst');
    await expect(readSeekTable(missing)).rejects.toMatchObject({ code: 'IO', path: missing });
  });
});
