import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TickdbError } from '../../../src/errors.js';
import { compressFile } from '../../../src/zstd/compress-file.js';
import { decompressFileHere } from '../../../src/zstd/decompress-here.js';
import { makeTempDir, tickLikeData } from './fixtures.js';

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('decompressFileHere (on the calling thread, decoder kept for the next file)', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => undefined;
  const files: { zst: string; data: Buffer }[] = [];
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir());
    for (const [i, size] of [2 * MiB + 777, MiB / 2 + 5].entries()) {
      const data = tickLikeData(size, i + 3);
      await writeFile(join(dir, `day${i}.db`), data);
      const zst = join(dir, `day${i}.zst`);
      await compressFile(join(dir, `day${i}.db`), zst, { level: 3, threads: 2, frameBytes: MiB });
      files.push({ zst, data });
    }
  });
  afterAll(async () => cleanup());

  it('restores each file byte for byte, one after the other with the same decoder', async () => {
    for (const { zst, data } of [...files, ...files]) {
      const out = join(dir, 'out.db');
      const r = await decompressFileHere(zst, out);
      expect(r).toMatchObject({ sha256: sha256(data), bytes: data.length });
      expect(sha256(await readFile(out))).toBe(sha256(data));
    }
    expect((await decompressFileHere(files[0]?.zst ?? '', join(dir, 'o.db'))).frames).toBe(3);
  });

  it('hashes the .zst as it reads it, every byte, and the content only when asked too', async () => {
    for (const { zst, data } of files) {
      const out = join(dir, 'out.db');
      const zstOnly = await decompressFileHere(zst, out, { hashZst: true });
      expect(zstOnly).toMatchObject({ sha256: undefined, zstSha256: sha256(await readFile(zst)), bytes: data.length });
      expect(sha256(await readFile(out))).toBe(sha256(data));
      const both = await decompressFileHere(zst, out, { hashZst: true, hashContent: true });
      expect(both).toMatchObject({ sha256: sha256(data), zstSha256: sha256(await readFile(zst)) });
      expect(await decompressFileHere(zst, out)).toMatchObject({ sha256: sha256(data), zstSha256: undefined });
    }
  });

  it('reports a damaged frame as CORRUPT naming the file', async () => {
    const { zst } = files[0] ?? { zst: '' };
    const bad = Buffer.from(await readFile(zst));
    bad[1000] = (bad[1000] ?? 0) ^ 0xff;
    const path = join(dir, 'bad.zst');
    await writeFile(path, bad);
    const err = await decompressFileHere(path, join(dir, 'bad.db')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TickdbError);
    expect((err as TickdbError).code).toBe('CORRUPT');
    expect((err as TickdbError).message).toContain(path);
  });
});
