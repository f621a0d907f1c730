import { setImmediate as yieldToLoop } from 'node:timers/promises';

/**
 * XXH64 (seed 0) in plain TypeScript, for the content checksum that every zstd frame written by tickdb carries
 * (the low 32 bits of XXH64 of the frame's content, per the zstd format). The native binding (@mongodb-js/zstd
 * 1.2.2) neither writes that checksum nor exposes a hash, and Node has no XXH64, so it is computed here.
 *
 * 64-bit words are kept as two unsigned 32-bit halves; products are built from 16-bit limbs so that every
 * intermediate stays an exact double. Streaming: `update` may be called with any chunking.
 */

// Primes, as [high, low] 32-bit halves.
const P1H = 0x9e3779b1,
  P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d,
  P2L = 0x27d4eb4f;
const P3H = 0x165667b1,
  P3L = 0x9e3779f9;
const P4H = 0x85ebca77,
  P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f,
  P5L = 0x165667c5;
const TWO32 = 4294967296;
// 16-bit limbs of the low halves of P1 and P2, for the inlined hot loop.
const P1L0 = P1L & 0xffff,
  P1L1 = P1L >>> 16;
const P2L0 = P2L & 0xffff,
  P2L1 = P2L >>> 16;

/** Result registers of the helpers below (a pair of return values without allocating). */
let rh = 0;
let rl = 0;

/** (xh:xl) * (ch:cl) mod 2^64 into rh:rl. */
function mul(xh: number, xl: number, ch: number, cl: number): void {
  const x0 = xl & 0xffff,
    x1 = xl >>> 16,
    c0 = cl & 0xffff,
    c1 = cl >>> 16;
  const mid = x0 * c1 + x1 * c0; // < 2^33
  const low = x0 * c0 + (mid & 0xffff) * 65536; // < 2^33
  rl = low >>> 0;
  const carry = (low - rl) / TWO32;
  rh = (x1 * c1 + Math.floor(mid / 65536) + carry + Math.imul(xh, cl) + Math.imul(xl, ch)) >>> 0;
}

/** (ah:al) + (bh:bl) mod 2^64 into rh:rl. */
function add(ah: number, al: number, bh: number, bl: number): void {
  const low = al + bl;
  rl = low >>> 0;
  rh = (ah + bh + (low >= TWO32 ? 1 : 0)) >>> 0;
}

/** Rotate (h:l) left by r (0 < r < 32) into rh:rl. */
function rotl(h: number, l: number, r: number): void {
  rh = ((h << r) | (l >>> (32 - r))) >>> 0;
  rl = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** round(acc, lane) = rotl(acc + lane * P2, 31) * P1, into rh:rl. */
function round(ah: number, al: number, lh: number, ll: number): void {
  mul(lh, ll, P2H, P2L);
  add(ah, al, rh, rl);
  rotl(rh, rl, 31);
  mul(rh, rl, P1H, P1L);
}

function u32(buf: Uint8Array, i: number): number {
  return (
    ((buf[i] as number) |
      ((buf[i + 1] as number) << 8) |
      ((buf[i + 2] as number) << 16) |
      ((buf[i + 3] as number) << 24)) >>>
    0
  );
}

export class Xxh64 {
  // Accumulators v1..v4 as high/low halves (seed 0).
  private v = new Float64Array([
    0x60ea27ee,
    0xadc0b5d6, // P1 + P2 mod 2^64
    P2H,
    P2L,
    0,
    0,
    0x61c8864e,
    0x7a143579, // -P1 mod 2^64
  ]);
  private readonly pending = new Uint8Array(32);
  private pendingLength = 0;
  private total = 0;

  update(data: Uint8Array): this {
    let i = 0;
    const n = data.length;
    this.total += n;
    if (this.pendingLength > 0) {
      const take = Math.min(32 - this.pendingLength, n);
      this.pending.set(data.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      i = take;
      if (this.pendingLength < 32) return this;
      this.stripes(this.pending, 0, 32);
      this.pendingLength = 0;
    }
    const end = i + Math.floor((n - i) / 32) * 32;
    if (end > i) this.stripes(data, i, end);
    if (end < n) {
      this.pending.set(data.subarray(end), 0);
      this.pendingLength = n - end;
    }
    return this;
  }

  /**
   * Consumes whole 32-byte stripes of data[from, to). The four accumulators are independent, so each is run
   * over its own lane of every stripe in turn, with the round written out inline (this is the hot loop).
   */
  private stripes(data: Uint8Array, from: number, to: number): void {
    const v = this.v;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let k = 0; k < 4; k++) {
      let ah = v[2 * k] as number,
        al = v[2 * k + 1] as number;
      for (let i = from + 8 * k; i < to; i += 32) {
        const ll = view.getUint32(i, true),
          lh = view.getUint32(i + 4, true);
        // m = lane * P2
        let x0 = ll & 0xffff,
          x1 = ll >>> 16;
        let mid = x0 * P2L1 + x1 * P2L0;
        let low = x0 * P2L0 + (mid & 0xffff) * 65536;
        const ml = low >>> 0;
        const mh =
          (x1 * P2L1 + ((mid / 65536) | 0) + (low - ml) / TWO32 + Math.imul(lh, P2L) + Math.imul(ll, P2H)) >>> 0;
        // s = acc + m
        const sum = al + ml;
        const sl = sum >>> 0;
        const sh = (ah + mh + (sum >= TWO32 ? 1 : 0)) >>> 0;
        // r = rotl(s, 31)
        const rH = ((sh << 31) | (sl >>> 1)) >>> 0;
        const rL = ((sl << 31) | (sh >>> 1)) >>> 0;
        // acc = r * P1
        x0 = rL & 0xffff;
        x1 = rL >>> 16;
        mid = x0 * P1L1 + x1 * P1L0;
        low = x0 * P1L0 + (mid & 0xffff) * 65536;
        al = low >>> 0;
        ah = (x1 * P1L1 + ((mid / 65536) | 0) + (low - al) / TWO32 + Math.imul(rH, P1L) + Math.imul(rL, P1H)) >>> 0;
      }
      v[2 * k] = ah;
      v[2 * k + 1] = al;
    }
  }

  /** The 64-bit digest as [high, low] 32-bit halves. Does not change the state. */
  digestParts(): [number, number] {
    const v = this.v;
    let h: number, l: number;
    if (this.total >= 32) {
      let sh = 0,
        sl = 0;
      const rots = [1, 7, 12, 18];
      for (let k = 0; k < 4; k++) {
        rotl(v[2 * k] as number, v[2 * k + 1] as number, rots[k] as number);
        add(sh, sl, rh, rl);
        sh = rh;
        sl = rl;
      }
      for (let k = 0; k < 4; k++) {
        round(0, 0, v[2 * k] as number, v[2 * k + 1] as number); // mergeRound
        sh = (sh ^ rh) >>> 0;
        sl = (sl ^ rl) >>> 0;
        mul(sh, sl, P1H, P1L);
        add(rh, rl, P4H, P4L);
        sh = rh;
        sl = rl;
      }
      h = sh;
      l = sl;
    } else {
      h = P5H;
      l = P5L;
    }
    add(h, l, Math.floor(this.total / TWO32), this.total >>> 0);
    h = rh;
    l = rl;
    const p = this.pending;
    let i = 0;
    const n = this.pendingLength;
    for (; i + 8 <= n; i += 8) {
      round(0, 0, u32(p, i + 4), u32(p, i));
      h = (h ^ rh) >>> 0;
      l = (l ^ rl) >>> 0;
      rotl(h, l, 27);
      mul(rh, rl, P1H, P1L);
      add(rh, rl, P4H, P4L);
      h = rh;
      l = rl;
    }
    if (i + 4 <= n) {
      mul(0, u32(p, i), P1H, P1L);
      h = (h ^ rh) >>> 0;
      l = (l ^ rl) >>> 0;
      rotl(h, l, 23);
      mul(rh, rl, P2H, P2L);
      add(rh, rl, P3H, P3L);
      h = rh;
      l = rl;
      i += 4;
    }
    for (; i < n; i++) {
      mul(0, p[i] as number, P5H, P5L);
      h = (h ^ rh) >>> 0;
      l = (l ^ rl) >>> 0;
      rotl(h, l, 11);
      mul(rh, rl, P1H, P1L);
      h = rh;
      l = rl;
    }
    // Avalanche.
    l = (l ^ (h >>> 1)) >>> 0; // ^= >> 33
    mul(h, l, P2H, P2L);
    h = rh;
    l = rl;
    l = (l ^ ((l >>> 29) | (h << 3))) >>> 0; // ^= >> 29
    h = (h ^ (h >>> 29)) >>> 0;
    mul(h, l, P3H, P3L);
    h = rh;
    l = rl;
    l = (l ^ h) >>> 0; // ^= >> 32
    return [h, l];
  }

  /** The digest as 16 lowercase hex digits (canonical big-endian form, as `xxhsum` prints it). */
  digestHex(): string {
    const [h, l] = this.digestParts();
    return h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0');
  }

  /** The low 32 bits: what a zstd frame stores (little-endian) as its Content_Checksum. */
  digestLow32(): number {
    return this.digestParts()[1];
  }
}

export function xxh64Hex(data: Uint8Array): string {
  return new Xxh64().update(data).digestHex();
}

/**
 * The low 32 bits of XXH64 of a (large) buffer, hashed in slices with a turn of the event loop between them so
 * that a 32 MiB frame does not stall timers and signal handlers for the whole ~100 ms it takes.
 */
export async function xxh64Low32Async(data: Uint8Array, sliceBytes = 4 << 20): Promise<number> {
  const hash = new Xxh64();
  for (let off = 0; off < data.length; off += sliceBytes) {
    if (off > 0) await yieldToLoop();
    hash.update(data.subarray(off, Math.min(off + sliceBytes, data.length)));
  }
  return hash.digestLow32();
}
