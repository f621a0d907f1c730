import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCopy } from '../../../src/drill/check-copy.js';
import { sha256File } from '../../../src/fs/sha256.js';
import type { DayRecord } from '../../../src/store/metadata-types.js';
import { FIXTURE_DAY, type FixtureTree, openFixture } from '../lifecycle/fixture-tree.js';

/**
 * The checks of a restored copy past its SHA-256 (check-copy.ts): when the hash matches the record, the content is
 * the recorded one, so integrity_check, rows and time range only ever speak when the record itself is wrong (a
 * day recorded from a damaged file, or with wrong statistics). Each is made to speak here, alone.
 */
describe('checkCopy beyond the SHA-256', () => {
  let t: FixtureTree;
  let scratch: string;
  let copy: string;
  let rec: DayRecord;
  beforeEach(async () => {
    t = await openFixture('compressed-with-backup');
    scratch = mkdtempSync(join(tmpdir(), 'tickdb-check-copy-'));
    copy = join(scratch, 'copy.db');
    copyFileSync(join(t.root, 'backup', '2026', '03', `ticks_${FIXTURE_DAY}.db`), copy);
    rec = t.store.get('ticks', FIXTURE_DAY) as DayRecord;
  });
  afterEach(() => {
    t.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  const check = () =>
    checkCopy({ tier: 'backup', kind: 'db', location: copy }, rec, {
      dataset: { tableName: 'ticks', timestampColumn: 'ts' },
      threads: 1,
      scratchDir: scratch,
    });

  it('passes the copy as recorded', async () => {
    expect(await check()).toMatchObject({ ok: true, bad: false, rows: rec.rows });
  });

  it('fails a damaged database even when the record holds its very SHA-256 (integrity_check)', async () => {
    const fd = openSync(copy, 'r+');
    writeSync(fd, Buffer.alloc(512, 0xa5), 0, 512, 2 * 4096 + 64); // inside a b-tree page, past the header
    closeSync(fd);
    const damaged = await sha256File(copy);
    rec = { ...rec, sha256: damaged.sha256, bytes: damaged.bytes };
    const r = await check();
    expect(r).toMatchObject({ ok: false, bad: true });
    expect(r.message).toMatch(/^integrity_check: /);
  });

  it('fails a copy whose rows or time range differ from the record, naming which', async () => {
    rec = { ...rec, rows: (rec.rows ?? 0) + 1 };
    expect((await check()).message).toMatch(/^rows \d+ != recorded \d+$/);
    rec = t.store.get('ticks', FIXTURE_DAY) as DayRecord;
    rec = { ...rec, maxTs: String(BigInt(rec.maxTs ?? '0') + 1n) };
    expect((await check()).message).toMatch(/^last timestamp \d+ != recorded \d+$/);
  });
});
