import { describe, expect, it } from 'vitest';
import { addDays, dayOf } from '../../../src/layout/day.js';
import type { TierFile } from '../../../src/layout/scan.js';
import { dayPath } from '../../../src/layout/tiers.js';
import { plan } from '../../../src/lifecycle/plan.js';
import type { DiskFacts } from '../../../src/lifecycle/plan-early.js';
import { LIFECYCLE_JOBS, type LifecycleJob, type Step } from '../../../src/lifecycle/step-types.js';
import type { DayRecord } from '../../../src/store/metadata-types.js';
import { config, dirs, file, metadataOf, scanOf } from '../../helpers/plan-fixtures.js';

const NOW = new Date('2026-06-30T03:00:00Z');
const TODAY = dayOf(NOW);
const ago = (n: number): string => addDays(TODAY, -n);
const SHA = 'a'.repeat(64);
const sealed = (day: string, extra: Partial<DayRecord> = {}): DayRecord => ({
  dataset: 'ticks',
  day,
  state: 'sealed',
  sha256: SHA,
  bytes: 1000,
  sealedAt: 'x',
  backupSha256: SHA,
  ...extra,
});
const compressed = (day: string, extra: Partial<DayRecord> = {}): DayRecord =>
  sealed(day, { state: 'compressed', zstSha256: 'b'.repeat(64), zstBytes: 300, ...extra });

/** A db file system of 100 000 bytes with `free` available; the archive on device 2 (another file system) or 1. */
const disk = (free: number, archiveDevice = 2): DiskFacts => ({
  db: { device: 1, totalBytes: 100_000, availableBytes: free },
  archive: { device: archiveDevice },
});

function planWith(
  files: TierFile[],
  records: DayRecord[],
  d: DiskFacts | undefined,
  jobs: LifecycleJob[] = [...LIFECYCLE_JOBS],
) {
  return plan({
    scan: scanOf(files),
    metadata: metadataOf(records, {}, NOW),
    config: config(),
    dirs,
    now: NOW,
    jobs: new Set(jobs),
    ...(d ? { disk: d } : {}),
  });
}
const early = (steps: Step[]): string[] =>
  steps.filter((s) => 'early' in s && s.early !== undefined).map((s) => `${s.kind} ${'day' in s ? s.day : ''}`);

/** Days 1..5 sealed in db/ (each 1000 bytes, backed up), plus today's live database. */
const files = [1, 2, 3, 4, 5]
  .flatMap((n) => [file(ago(n), 'db', 'db'), file(ago(n), 'backup', 'db')])
  .concat(file(TODAY, 'db', 'db'));
const records: DayRecord[] = [1, 2, 3, 4, 5]
  .map((n) => sealed(ago(n)))
  .concat({ dataset: 'ticks', day: TODAY, state: 'live' }, { dataset: 'ticks', day: ago(-1), state: 'live' });

describe('early relief when the db tier is low on space', () => {
  it('plans nothing early at or above warnFreePercent, or without disk facts', () => {
    expect(early(planWith(files, records, disk(15_000)).steps)).toEqual([]);
    expect(early(planWith(files, records, undefined).steps)).toEqual([]);
  });

  it('compresses sealed days oldest first until the estimate reaches the threshold, straight into an archive on another file system', () => {
    // 15 000 needed, 12 500 free: 2 500 to free; each day moved whole frees 1 000 -> three days
    const p = planWith(files, records, disk(12_500));
    expect(early(p.steps)).toEqual([`compress ${ago(5)}`, `compress ${ago(4)}`, `compress ${ago(3)}`]);
    const step = p.steps.find((s) => s.kind === 'compress' && s.day === ago(5));
    expect(step && 'dest' in step ? step.dest : '').toBe(dayPath(dirs, 'archive', 'ticks', ago(5), 'zst'));
    expect(step && 'early' in step ? step.early : '').toMatch(
      /db tier's file system is 12\.5% free, below diskSpace\.warnFreePercent \(15%\): compressed at age 5, before compressAfterDays \(7\)/,
    );
  });

  it('compresses into db/ when the archive shares the file system, counting only what compression saves', () => {
    // ratio 0.3 from a compressed day on record: each day saves 700 bytes; 2 000 to free -> three days
    const withRatio = [...records, compressed(ago(10))];
    const p = planWith([...files, file(ago(10), 'db', 'zst', { bytes: 300 })], withRatio, disk(13_000, 1));
    expect(early(p.steps)).toEqual([`compress ${ago(5)}`, `compress ${ago(4)}`, `compress ${ago(3)}`]);
    const step = p.steps.find((s) => s.kind === 'compress' && s.day === ago(5));
    expect(step && 'dest' in step ? step.dest : '').toBe(dayPath(dirs, 'db', 'ticks', ago(5), 'zst'));
    // never archived early onto the same file system: that frees nothing
    expect(p.steps.some((s) => s.kind === 'archive')).toBe(false);
  });

  it('archives compressed days early, oldest first, when the archive is on another file system', () => {
    const zstFiles = [file(ago(12), 'db', 'zst', { bytes: 300 }), file(ago(9), 'db', 'zst', { bytes: 300 })];
    const zstRecords = [compressed(ago(12)), compressed(ago(9))];
    const p = planWith([...files, ...zstFiles], [...records, ...zstRecords], disk(14_500));
    expect(early(p.steps)).toEqual([`archive ${ago(12)}`, `archive ${ago(9)}`]);
    expect(p.steps.find((s) => s.kind === 'archive' && s.day === ago(12))).toMatchObject({
      early: expect.stringMatching(/archived at age 12, before archiveAfterDays \(30\)/),
    });
  });

  it('never touches today, an unsealed or busy day, a day with a -wal, a quarantined day, or one with a move pending', () => {
    const odd = [
      sealed(ago(5), { state: 'live', sha256: undefined }), // unsealed
      sealed(ago(4), { state: 'live', sha256: undefined, busySince: 'x' }), // busy
      sealed(ago(3)),
      sealed(ago(2), {
        state: 'quarantined',
        quarantine: { reason: 'r', path: 'p', at: 'x', previousState: 'sealed' },
      }),
      sealed(ago(1), { pendingDelete: '/r/x' }),
      { dataset: 'ticks', day: TODAY, state: 'live' as const },
    ];
    const withWal = files.map((f) => (f.day === ago(3) && f.tier === 'db' ? { ...f, hasWal: true, walBytes: 10 } : f));
    const p = planWith(withWal, odd, disk(1_000));
    expect(early(p.steps)).toEqual([]);
  });

  it('plans early compression only in a pass that runs the compress job', () => {
    expect(early(planWith(files, records, disk(12_500), ['rotate']).steps)).toEqual([]);
  });
});
