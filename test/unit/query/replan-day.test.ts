import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DaySource } from '../../../src/query/query-types.js';
import { fileGone, vanished } from '../../../src/query/replan-day.js';
import { tempDir } from '../../helpers/cli.js';

describe('fileGone / vanished: the file is gone, and only then', () => {
  const t = tempDir('tickdb-replan-');
  afterAll(() => t.cleanup());

  it('a missing file is gone; a file that is there is not', async () => {
    const there = join(t.dir, 'there.db');
    writeFileSync(there, 'x');
    expect(await fileGone(join(t.dir, 'missing.db'))).toBe(true);
    expect(await fileGone(there)).toBe(false);
  });

  it('a path that cannot be checked (a symbolic-link loop: ELOOP) is not called gone: the caller keeps its own error', async () => {
    const loop = join(t.dir, 'loop.db');
    symlinkSync(loop, loop);
    expect(await fileGone(loop)).toBe(false);
  });

  it('an S3 source never vanishes this way; a local one does', async () => {
    const source = (tier: 's3' | 'archive', path: string): DaySource => {
      const common = { day: '2026-03-04', sha256: undefined, bytes: undefined, zstBytes: 10 };
      return { ...common, kind: 'compressed', tier, path };
    };
    expect(await vanished(source('s3', 's3://b/k.db.zst'))).toBe(false);
    expect(await vanished(source('archive', join(t.dir, 'k.db.zst')))).toBe(true);
  });
});
