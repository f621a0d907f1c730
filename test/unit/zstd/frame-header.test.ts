import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isSkippableMagic, parseBlockHeader, parseFrameHeader } from '../../../src/zstd/frame-header.js';
import { ZSTD, tickLikeData } from './fixtures.js';

describe('frame header', () => {
  it('parses CLI headers: content size, checksum flag, header length, reserved bit', () => {
    const data = tickLikeData(400_000);
    const cli = execFileSync(ZSTD, ['-q', '-c', '-3', '--stream-size=400000'], { input: data });
    const header = parseFrameHeader(cli);
    expect(header).toMatchObject({ hasChecksum: true, contentSize: 400_000 });
    if (typeof header === 'object') {
      const block = parseBlockHeader(cli, header.headerBytes);
      expect(typeof block).toBe('object');
    }
    const noSize = execFileSync(ZSTD, ['-q', '-c', '-3', '--no-check'], { input: data });
    expect(parseFrameHeader(noSize)).toMatchObject({ hasChecksum: false, contentSize: undefined });
    expect(parseFrameHeader(cli.subarray(0, 5))).toBe('short');
    const reserved = Buffer.from(cli);
    reserved[4] = (reserved[4] ?? 0) | 0x08;
    expect(parseFrameHeader(reserved)).toBe('reserved bit set');
    expect(isSkippableMagic(0x184d2a5e)).toBe(true);
    expect(isSkippableMagic(0xfd2fb528)).toBe(false);
  });

  it('rejects reserved block types and oversized blocks', () => {
    expect(parseBlockHeader(Buffer.from([0x06, 0, 0]), 0)).toBe('reserved block type');
    const size = (128 * 1024 + 1) << 3;
    expect(parseBlockHeader(Buffer.from([size & 0xff, (size >> 8) & 0xff, (size >> 16) & 0xff]), 0)).toMatch(/exceeds/);
  });
});
