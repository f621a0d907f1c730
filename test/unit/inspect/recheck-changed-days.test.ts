import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recheckChangedDays, type VerifyProblem, type VerifyReport } from '../../../src/inspect/verify-tree.js';
import type { TierScan } from '../../../src/layout/scan.js';
import { dayPath, tierDirs, type TierDirs } from '../../../src/layout/tiers.js';
import { emptyMetadata, type DayRecord, type Metadata } from '../../../src/store/metadata-types.js';

const DAY = '2026-03-04';
const KEY = `ticks/${DAY}`;
const CONTENT = Buffer.from('a compressed day, as far as a size and a hash can tell');
const SHA = createHash('sha256').update(CONTENT).digest('hex');
const SCAN: TierScan = { files: [], days: new Map(), anomalies: [], tmpFiles: [] };
const OPTIONS = { deep: false, threads: 1, datasets: [] };

/** Verify's second look at a day the agent changed during the check (DESIGN 10). */
describe('verify checks again a day whose record changed during the check', () => {
  let dirs: TierDirs;
  beforeEach(() => {
    dirs = tierDirs({ root: mkdtempSync(join(tmpdir(), 'tickdb-recheck-')) });
  });
  afterEach(() => rmSync(dirs.root, { recursive: true, force: true }));

  const metadataWith = (rec: Partial<DayRecord> | undefined): Metadata => {
    const m = emptyMetadata(new Date('2026-03-12T06:00:00Z'));
    if (rec !== undefined) m.days[KEY] = { dataset: 'ticks', day: DAY, state: 'sealed', ...rec };
    return m;
  };
  const problem = (kind: VerifyProblem['kind'], key = KEY): VerifyProblem => ({
    key,
    path: '/x',
    kind,
    expected: 'e',
    found: 'f',
  });
  const reportOf = (problems: VerifyProblem[]): VerifyReport => ({
    ok: false,
    deep: false,
    days: 1,
    checkedFiles: 0,
    checkedBytes: 0,
    problems,
    notes: [],
    audit: {
      ok: true,
      path: '',
      lines: 0,
      lastHash: '',
      checkpoint: null,
      beyondCheckpoint: 0,
      findings: [],
      problems: [],
    },
  });
  /** The day now archived, its .db.zst in place with the recorded size and hash. */
  const archivedNow = (extra: Partial<DayRecord> = {}): Metadata => {
    const path = dayPath(dirs, 'archive', 'ticks', DAY, 'zst');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, CONTENT);
    return metadataWith({ state: 'archived', zstSha256: SHA, zstBytes: CONTENT.length, ...extra });
  };

  it('replaces the problem of a day moved meanwhile by what the second look finds: nothing', async () => {
    const report = reportOf([problem('missing')]);
    await recheckChangedDays(dirs, metadataWith({ state: 'compressed' }), report, OPTIONS, async () => ({
      metadata: archivedNow(),
      scan: SCAN,
    }));
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.notes.map((n) => n.message)).toEqual([
      `1 day(s) changed by another process during this check were checked again as they are now: ${KEY}`,
    ]);
  });

  it('keeps a real problem the second look finds, and the problems it does not check', async () => {
    const damaged = archivedNow({ zstSha256: 'f'.repeat(64) });
    const report = reportOf([
      problem('missing'),
      problem('etag'),
      problem('not-a-file'),
      problem('missing', 'ticks/2026-03-05'),
    ]);
    await recheckChangedDays(dirs, metadataWith({ state: 'compressed' }), report, OPTIONS, async () => ({
      metadata: damaged,
      scan: SCAN,
    }));
    expect(report.problems.map((p) => [p.key, p.kind])).toEqual([
      [KEY, 'etag'],
      [KEY, 'not-a-file'],
      ['ticks/2026-03-05', 'missing'], // its record did not change: reported as found
      [KEY, 'sha256'],
    ]);
    expect(report.ok).toBe(false);
  });

  it('keeps every problem of a day the second look finds in the middle of a move, or only in S3', async () => {
    for (const now of [{ pendingDelete: '/x.db' }, { remote: { bucket: 'b', key: 'k' } as DayRecord['remote'] }]) {
      const report = reportOf([problem('missing')]);
      await recheckChangedDays(dirs, metadataWith({ state: 'compressed' }), report, OPTIONS, async () => ({
        metadata: archivedNow(now),
        scan: SCAN,
      }));
      expect(report.problems.map((p) => p.kind)).toEqual(['missing']);
      expect(report.ok).toBe(false);
    }
  });
});
