import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import { addDays, dayOf } from '../../../src/layout/day.js';
import type { TierFile } from '../../../src/layout/scan.js';
import { dayPath } from '../../../src/layout/tiers.js';
import { describeStep } from '../../../src/lifecycle/execute.js';
import { plan } from '../../../src/lifecycle/plan.js';
import { LIFECYCLE_JOBS, type LifecycleJob, type Step } from '../../../src/lifecycle/step-types.js';
import type { DayRecord, Metadata } from '../../../src/store/metadata-types.js';
import { config, dirs, file, metadataOf, scanOf } from '../../helpers/plan-fixtures.js';

const NOW = new Date('2026-06-30T03:00:00Z');
const TODAY = dayOf(NOW);
function meta(records: DayRecord[]): Metadata {
  return metadataOf(records, {}, NOW);
}

const sealed = (day: string, extra: Partial<DayRecord> = {}): DayRecord => ({
  dataset: 'ticks',
  day,
  state: 'sealed',
  sha256: 'a'.repeat(64),
  bytes: 1000,
  sealedAt: 'x',
  ...extra,
});
const compressed = (day: string, extra: Partial<DayRecord> = {}): DayRecord =>
  sealed(day, { state: 'compressed', zstSha256: 'b'.repeat(64), zstBytes: 1000, ...extra });

function kinds(steps: Step[]): string[] {
  return steps.map((s) => ('day' in s ? `${s.kind} ${s.day}` : `${s.kind}`));
}

function planFor(
  files: TierFile[],
  records: DayRecord[],
  opts: { jobs?: LifecycleJob[]; now?: Date; cfg?: Config; force?: boolean } = {},
) {
  return plan({
    scan: scanOf(files),
    metadata: meta(records),
    config: opts.cfg ?? config(),
    dirs,
    now: opts.now ?? NOW,
    jobs: new Set(opts.jobs ?? LIFECYCLE_JOBS),
    force: opts.force === true,
  });
}

const ago = (n: number): string => addDays(TODAY, -n);

describe('planner', () => {
  it('pre-creates today and tomorrow when missing', () => {
    expect(kinds(planFor([], []).steps)).toEqual([`precreate ${TODAY}`, `precreate ${ago(-1)}`]);
  });

  it('gives a database already there for today or tomorrow a pre-create step only while it has no record', () => {
    const live = (day: string): DayRecord => ({ dataset: 'ticks', day, state: 'live' });
    const files = [file(TODAY, 'db', 'db'), file(ago(-1), 'db', 'db')];
    const found = planFor(files, []).steps;
    expect(kinds(found)).toEqual([`precreate ${TODAY}`, `precreate ${ago(-1)}`]);
    expect(found.map(describeStep)).toEqual(
      [TODAY, ago(-1)].map((d) => `record ${dayPath(dirs, 'db', 'ticks', d, 'db')} (already there) as live`),
    );
    expect(kinds(planFor(files, [live(TODAY)]).steps)).toEqual([`precreate ${ago(-1)}`]);
    expect(kinds(planFor(files, [live(TODAY), live(ago(-1))]).steps)).toEqual([]);
    // A compressed copy is not a live database to record, nor one to create beside.
    expect(kinds(planFor([file(TODAY, 'db', 'zst')], []).steps)).not.toContain(`precreate ${TODAY}`);
  });

  it('follows each day through its chain by age', () => {
    const files = [
      file(TODAY, 'db', 'db'),
      file(ago(-1), 'db', 'db'),
      file(ago(1), 'db', 'db'),
      file(ago(7), 'db', 'db'),
      file(ago(30), 'db', 'zst'),
      file(ago(45), 'db', 'db'),
      file(ago(180), 'archive', 'zst'),
    ];
    const p = planFor(files, [sealed(ago(7)), compressed(ago(30))]);
    expect(kinds(p.steps)).toEqual([
      `seal ${ago(45)}`,
      `backup ${ago(7)}`,
      `seal ${ago(1)}`,
      `backup ${ago(1)}`,
      // Today's and tomorrow's files have no record here: recorded as found (see the pre-create test).
      `precreate ${TODAY}`,
      `precreate ${ago(-1)}`,
      `compress ${ago(45)}`,
      `compress ${ago(7)}`,
      `archive ${ago(30)}`,
      `purge ${ago(180)}`,
    ]);
    const c45 = p.steps.find((s) => s.kind === 'compress' && s.day === ago(45));
    expect(c45 && 'dest' in c45 ? c45.dest : '').toBe(dayPath(dirs, 'archive', 'ticks', ago(45), 'zst')); // straight into the archive tier
    const c7 = p.steps.find((s) => s.kind === 'compress' && s.day === ago(7));
    expect(c7 && 'dest' in c7 ? c7.dest : '').toBe(dayPath(dirs, 'db', 'ticks', ago(7), 'zst'));
  });

  it('does not seal yesterday before midnight + grace', () => {
    const p = planFor([file(ago(1), 'db', 'db')], [], { now: new Date(`${TODAY}T00:14:59Z`) });
    expect(p.steps.some((s) => s.kind === 'seal')).toBe(false);
    expect(p.notes.map((n) => n.kind)).toContain('not-due');
    const later = planFor([file(ago(1), 'db', 'db')], [], { now: new Date(`${TODAY}T00:15:00Z`) });
    expect(later.steps.some((s) => s.kind === 'seal' && s.day === ago(1))).toBe(true);
  });

  it('backs up only days younger than backupRetentionDays, and replaces a backup that does not match', () => {
    const p = planFor(
      [file(ago(3), 'db', 'db'), file(ago(3), 'backup', 'db', { bytes: 999 }), file(ago(40), 'db', 'db')],
      [sealed(ago(3), { backupSha256: 'c'.repeat(64) })],
      { jobs: ['rotate'] },
    );
    const backups = p.steps.filter((s) => s.kind === 'backup');
    expect(backups.map((s) => [s.day, 'reason' in s ? s.reason : ''])).toEqual([[ago(3), 'mismatch']]);
  });

  it("ends a day's chain at a job that was not asked for", () => {
    const p = planFor([file(ago(10), 'db', 'db')], [], { jobs: ['compress'] });
    expect(p.steps).toEqual([]);
    const q = planFor([file(ago(10), 'db', 'db')], [sealed(ago(10))], { jobs: ['compress'] });
    expect(kinds(q.steps)).toEqual([`compress ${ago(10)}`]);
  });

  it('adopts a .db.zst without a verified record before archiving it', () => {
    const p = planFor([file(ago(35), 'db', 'zst'), file(ago(10), 'db', 'zst')], []);
    expect(kinds(p.steps).filter((k) => !k.startsWith('precreate'))).toEqual([
      `adopt-zst ${ago(35)}`,
      `adopt-zst ${ago(10)}`,
      `archive ${ago(35)}`,
    ]);
  });

  it('quarantines a day found twice unless a recorded move explains it', () => {
    const files = [file(ago(10), 'db', 'db'), file(ago(10), 'db', 'zst')];
    const dup = planFor(files, [sealed(ago(10))], { jobs: ['compress'] });
    expect(kinds(dup.steps)).toEqual([`quarantine ${ago(10)}`]);
    const pending = planFor(files, [sealed(ago(10), { pendingDelete: files[0]?.path ?? '' })], { jobs: ['compress'] });
    expect(kinds(pending.steps)).toEqual([`finish-pending ${ago(10)}`]);
  });

  it('skips quarantined days entirely, even past purge age', () => {
    const p = planFor(
      [file(ago(200), 'db', 'db')],
      [
        sealed(ago(200), {
          state: 'quarantined',
          quarantine: { reason: 'r', path: 'p', at: 'a', previousState: 'sealed' },
        }),
      ],
    );
    expect(p.steps.filter((s) => s.kind !== 'precreate')).toEqual([]);
    expect(p.notes[0]?.kind).toBe('quarantined');
  });

  it('never purges a day under legal hold, by day or by range, per dataset', () => {
    const cfg = config({
      legalHolds: [
        { day: ago(185), reason: 'SEC 2026-17' },
        { dataset: 'ticks', from: ago(200), to: ago(195), reason: 'litigation' },
      ],
    });
    const files = [185, 190, 195, 200, 201].map((n) => file(ago(n), 'archive', 'zst'));
    const p = planFor(
      files,
      files.map((f) => compressed(f.day, { state: 'archived' })),
      { cfg },
    );
    expect(p.steps.filter((s) => s.kind === 'purge').map((s) => ('day' in s ? s.day : ''))).toEqual([
      ago(201),
      ago(190),
    ]);
    expect(
      p.notes
        .filter((n) => n.kind === 'held')
        .map((n) => n.day)
        .sort(),
    ).toEqual([ago(185), ago(195), ago(200)].sort());
  });

  it('refuses to purge more than maxPurgeDaysPerRun days without --force', () => {
    const files = Array.from({ length: 40 }, (_, i) => file(ago(180 + i), 'archive', 'zst'));
    const p = planFor(files, []);
    expect(p.steps.filter((s) => s.kind === 'purge')).toHaveLength(0);
    expect(p.notes.find((n) => n.blocking)?.message).toMatch(/40 days, more than maxPurgeDaysPerRun \(31\)/);
    expect(planFor(files, [], { force: true }).steps.filter((s) => s.kind === 'purge')).toHaveLength(40);
  });

  it('refuses to purge when the clock is behind the newest sealed day', () => {
    const p = planFor([file(ago(200), 'archive', 'zst')], [sealed(ago(-3))]);
    expect(p.steps.filter((s) => s.kind === 'purge')).toHaveLength(0);
    expect(p.notes.find((n) => n.blocking)?.message).toMatch(/clock/);
  });

  it('deletes backups past retention only once the day has a verified compressed copy', () => {
    const files = [
      file(ago(31), 'archive', 'zst'),
      file(ago(31), 'backup', 'db'),
      file(ago(32), 'db', 'db'),
      file(ago(32), 'backup', 'db'),
    ];
    const p = planFor(files, [compressed(ago(31), { state: 'archived' }), sealed(ago(32))], { jobs: ['purge'] });
    expect(kinds(p.steps)).toEqual([`purge-backup ${ago(31)}`]);
  });

  it('cleans leftover .tmp files first', () => {
    const p = plan({
      scan: scanOf([], { tmpFiles: ['/r/db/2026/06/.x.tmp'] }),
      metadata: meta([]),
      config: config(),
      dirs,
      now: NOW,
      jobs: new Set(['compress']),
    });
    expect(p.steps).toEqual([{ kind: 'cleanup-tmp', job: 'recover', path: '/r/db/2026/06/.x.tmp' }]);
  });

  it("uses a dataset's own thresholds", () => {
    const base = config().datasets[0];
    if (base === undefined) throw new Error('no default dataset');
    const cfg = config({ datasets: [{ ...base, compressAfterDays: 2 }] });
    const p = planFor([file(ago(2), 'db', 'db')], [sealed(ago(2))], { cfg, jobs: ['compress'] });
    expect(kinds(p.steps)).toEqual([`compress ${ago(2)}`]);
  });
});
