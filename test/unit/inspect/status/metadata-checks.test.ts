import { describe, expect, it } from 'vitest';
import { checkMetadata } from '../../../../src/inspect/status/metadata-checks.js';
import { dayPath } from '../../../../src/layout/tiers.js';
import type { DayRecord } from '../../../../src/store/metadata-types.js';
import type { TierFile, TierScan } from '../../../../src/layout/scan.js';
import { dirs, facts, file, metadataOf, record, scanOf } from './fixtures.js';

const NOW = '2026-03-20T12:00:00Z';
const zst = { zstSha256: 'b'.repeat(64), zstBytes: 500 };

function problemsOf(
  files: TierFile[],
  records: DayRecord[],
  extra: { scan?: Partial<TierScan>; agent?: boolean } = {},
) {
  const f = facts(NOW, {
    scan: scanOf(files, extra.scan),
    metadata: { metadata: metadataOf(records), found: true },
    ...(extra.agent === false ? { lock: undefined } : {}),
  });
  return checkMetadata(f).results.filter((r) => r.status !== 'OK');
}

describe('metadata check', () => {
  it('is OK when every recorded day is where its state says, with its recorded size', () => {
    const files = [
      file('2026-03-18', 'db', 'db'),
      file('2026-03-10', 'db', 'zst', { bytes: 500 }),
      file('2026-02-10', 'archive', 'zst', { bytes: 500 }),
    ];
    const recs = [
      record('2026-03-18', 'sealed'),
      record('2026-03-10', 'compressed', zst),
      record('2026-02-10', 'archived', zst),
      record('2025-01-01', 'purged'),
    ];
    expect(problemsOf(files, recs)).toEqual([]);
  });

  it('a sealed or compressed file whose size changed is CRITICAL', () => {
    const out = problemsOf(
      [file('2026-03-18', 'db', 'db', { bytes: 2000, hasWal: true })],
      [record('2026-03-18', 'sealed')],
    );
    expect(out).toEqual([
      expect.objectContaining({
        status: 'CRITICAL',
        day: '2026-03-18',
        path: dayPath(dirs, 'db', 'ticks', '2026-03-18', 'db'),
      }),
    ]);
    expect(out[0]?.message).toContain(
      'is 2000 bytes but 1000 were recorded when it was sealed: the file changed (and has a -wal',
    );
  });

  it('a recorded file that is gone is CRITICAL (WARNING for a live day); found in another tier it is WARNING', () => {
    const gone = problemsOf([], [record('2026-03-10', 'compressed', zst)]);
    expect(gone[0]).toMatchObject({ status: 'CRITICAL', path: dayPath(dirs, 'db', 'ticks', '2026-03-10', 'zst') });
    expect(gone[0]?.hint).toContain('tickdb restore 2026-03-10 --from backup');
    expect(problemsOf([], [record('2026-03-21', 'live')])[0]?.status).toBe('WARNING');
    const moved = problemsOf(
      [file('2026-03-10', 'archive', 'zst', { bytes: 500 })],
      [record('2026-03-10', 'compressed', zst)],
    );
    expect(moved[0]).toMatchObject({
      status: 'WARNING',
      message: expect.stringContaining('is recorded as compressed'),
    });
  });

  it('an interrupted move is WARNING only when no run is in flight', () => {
    const files = [file('2026-03-10', 'db', 'db'), file('2026-03-10', 'db', 'zst', { bytes: 500 })];
    const recs = [record('2026-03-10', 'compressed', { ...zst, pendingDelete: files[0]!.path })];
    const dup = {
      anomalies: [
        { kind: 'duplicate-day' as const, path: files[0]!.path, dataset: 'ticks', day: '2026-03-10', message: 'twice' },
      ],
    };
    expect(problemsOf(files, recs, { scan: dup })).toEqual([]);
    expect(problemsOf(files, recs, { scan: dup, agent: false }).map((p) => [p.status, p.brief])).toEqual([
      ['WARNING', 'ticks/2026-03-10 move interrupted'],
    ]);
  });

  it('a day present twice without a move in flight is CRITICAL; odd names are WARNING', () => {
    const files = [file('2026-03-10', 'db', 'db'), file('2026-03-10', 'db', 'zst', { bytes: 500 })];
    const scan = {
      anomalies: [
        {
          kind: 'duplicate-day' as const,
          path: files[0]!.path,
          dataset: 'ticks',
          day: '2026-03-10',
          message: 'ticks 2026-03-10 is present 2 times',
        },
        { kind: 'unparseable-name' as const, path: '/r/db/2026/03/ticks_2026-13-01.db', message: 'impossible date' },
      ],
    };
    const out = problemsOf(files, [record('2026-03-10', 'sealed')], { scan });
    expect(out.map((p) => p.status)).toEqual(['CRITICAL', 'WARNING']);
  });

  it("files of past days missing from the metadata are WARNING (today and yesterday may be the writer's)", () => {
    const out = problemsOf(
      [file('2026-03-20', 'db', 'db'), file('2026-03-19', 'db', 'db'), file('2026-03-15', 'db', 'db')],
      [],
    );
    expect(out).toEqual([
      expect.objectContaining({
        status: 'WARNING',
        day: '2026-03-15',
        message: expect.stringMatching(/^1 file is not in the metadata/),
      }),
    ]);
  });

  it('leftover .tmp files are WARNING when no run is in flight', () => {
    const scan = { tmpFiles: ['/r/db/2026/03/ticks_2026-03-10.db.zst.tmp'] };
    expect(problemsOf([], [], { scan })).toEqual([]);
    expect(problemsOf([], [], { scan, agent: false })[0]).toMatchObject({
      status: 'WARNING',
      message: expect.stringContaining('leftover .tmp'),
    });
  });

  it('unusable or missing metadata is WARNING with the rebuild hint; kept-aside files are mentioned', () => {
    const bad = checkMetadata(
      facts(NOW, {
        metadata: {
          metadata: metadataOf([]),
          found: false,
          problem: '/r/db/rotation_metadata.json is in an older or unknown format',
        },
      }),
    ).results[0];
    expect(bad).toMatchObject({
      status: 'WARNING',
      path: '/r/db/rotation_metadata.json',
      hint: expect.stringContaining('tickdb verify --rebuild'),
    });
    const missing = checkMetadata(
      facts(NOW, {
        scan: scanOf([file('2026-03-15', 'db', 'db')]),
        metadata: { metadata: metadataOf([]), found: false },
      }),
    ).results[0];
    expect(missing).toMatchObject({ status: 'WARNING', brief: 'no metadata' });
    const ok = checkMetadata(facts(NOW, { keptAside: ['rotation_metadata.json.unreadable-2026'] })).results[0];
    expect(ok).toMatchObject({
      status: 'OK',
      message: expect.stringContaining('kept aside earlier: rotation_metadata.json.unreadable-2026'),
    });
  });
});
