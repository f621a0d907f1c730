import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Xxh64, xxh64Hex, xxh64Low32Async } from '../../../src/zstd/xxhash64.js';

// A straightforward BigInt XXH64 (seed 0), written from the specification, as the reference.
const M = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n,
  P2 = 0xc2b2ae3d27d4eb4fn,
  P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n,
  P5 = 0x27d4eb2f165667c5n;
const rotl = (x: bigint, r: number): bigint => ((x << BigInt(r)) | (x >> BigInt(64 - r))) & M;
const round = (acc: bigint, lane: bigint): bigint => (rotl((acc + lane * P2) & M, 31) * P1) & M;

function reference(b: Buffer): string {
  const n = b.length;
  let i = 0;
  let h: bigint;
  if (n >= 32) {
    let v1 = (P1 + P2) & M,
      v2 = P2,
      v3 = 0n,
      v4 = -P1 & M;
    for (; i + 32 <= n; i += 32) {
      v1 = round(v1, b.readBigUInt64LE(i));
      v2 = round(v2, b.readBigUInt64LE(i + 8));
      v3 = round(v3, b.readBigUInt64LE(i + 16));
      v4 = round(v4, b.readBigUInt64LE(i + 24));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) & M;
    for (const v of [v1, v2, v3, v4]) h = ((h ^ round(0n, v)) * P1 + P4) & M;
  } else {
    h = P5;
  }
  h = (h + BigInt(n)) & M;
  for (; i + 8 <= n; i += 8) h = (rotl(h ^ round(0n, b.readBigUInt64LE(i)), 27) * P1 + P4) & M;
  if (i + 4 <= n) {
    h = (rotl(h ^ ((BigInt(b.readUInt32LE(i)) * P1) & M), 23) * P2 + P3) & M;
    i += 4;
  }
  for (; i < n; i++) h = (rotl(h ^ ((BigInt(b[i] ?? 0) * P5) & M), 11) * P1) & M;
  h ^= h >> 33n;
  h = (h * P2) & M;
  h ^= h >> 29n;
  h = (h * P3) & M;
  h ^= h >> 32n;
  return h.toString(16).padStart(16, '0');
}

describe('xxh64', () => {
  it('matches published test vectors', () => {
    expect(xxh64Hex(Buffer.from(''))).toBe('ef46db3751d8e999');
    expect(xxh64Hex(Buffer.from('a'))).toBe('d24ec4f1a98c6e5b');
    expect(xxh64Hex(Buffer.from('abc'))).toBe('44bc2cf5ad770999');
    expect(xxh64Hex(Buffer.from('Nobody inspects the spammish repetition'))).toBe('fbcea83c8a378bf1');
  });

  it('matches a BigInt reference for every length 0..200 and any chunking', () => {
    for (let n = 0; n <= 200; n++) {
      const data = randomBytes(n);
      const streamed = new Xxh64();
      for (let at = 0; at < n; ) {
        const k = 1 + randomInt(40);
        streamed.update(data.subarray(at, at + k));
        at += k;
      }
      expect(streamed.digestHex()).toBe(reference(data));
      expect(xxh64Hex(data)).toBe(reference(data));
    }
  });

  it('the sliced async form gives the low 32 bits of the same digest', async () => {
    const data = randomBytes(300_001);
    const full = reference(data);
    expect(await xxh64Low32Async(data, 64 * 1024)).toBe(Number.parseInt(full.slice(8), 16));
  });
});
