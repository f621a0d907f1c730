import { describe, expect, it } from 'vitest';
import type { DayFiles, TierFile, TierScan } from '../../../src/layout/scan.js';
import { dayKey } from '../../../src/layout/tiers.js';
import { planDays } from '../../../src/query/plan-days.js';
import { emptyMetadata, type DayRecord, type Metadata } from '../../../src/store/metadata-types.js';

const DAY = '2026-03-04';
const DB = `/t/db/2026/03/ticks_${DAY}.db`;
const ZST = `/t/db/2026/03/ticks_${DAY}.db.zst`;
const SHA = 'a'.repeat(64);

const tierFile = (path: string): TierFile => ({
  tier: 'db',
  kind: path.endsWith('.zst') ? 'zst' : 'db',
  dataset: 'ticks',
  day: DAY,
  path,
  bytes: 1000,
  mode: 0o444,
  hasWal: false,
  walBytes: 0,
});

function scanOf(files: Partial<DayFiles>): TierScan {
  const days = new Map<string, DayFiles>();
  if (Object.keys(files).length > 0)
    days.set(dayKey('ticks', DAY), { dataset: 'ticks', day: DAY, extra: [], ...files });
  return { files: [], days, anomalies: [], tmpFiles: [] };
}

function metadataOf(rec: Partial<DayRecord>): Metadata {
  const m = emptyMetadata(new Date('2026-03-12T06:00:00Z'));
  const record: DayRecord = { dataset: 'ticks', day: DAY, state: 'sealed', sha256: SHA, bytes: 1000, ...rec };
  m.days[dayKey('ticks', DAY)] = { sealedAt: '2026-03-05T00:00:00Z', ...record };
  return m;
}

/** The moments of a compression by the agent (lifecycle/move-protocol.ts) as a query's scan and metadata can see them. */
describe("a query's plan of a day the agent is compressing", () => {
  it('reads the source while its successor is not in place yet, though the intent to delete it is recorded', () => {
    const plan = planDays(scanOf({ db: tierFile(DB) }), metadataOf({ pendingDelete: DB }), 'ticks', [DAY]);
    expect(plan.sources.map((s) => [s.kind, s.path])).toEqual([['sealed', DB]]);
    expect(plan.missing).toEqual([]);
    expect(plan.unsettled).toEqual([]);
  });

  it('reads the successor once it is in place, the source being recorded for deletion', () => {
    const plan = planDays(
      scanOf({ db: tierFile(DB), zst: tierFile(ZST) }),
      metadataOf({ pendingDelete: DB }),
      'ticks',
      [DAY],
    );
    expect(plan.sources.map((s) => [s.kind, s.path])).toEqual([['compressed', ZST]]);
    expect(plan.unsettled).toEqual([]);
  });

  it('marks for a second look a day found twice without a recorded move, or missing while recorded', () => {
    const twice = planDays(scanOf({ db: tierFile(DB), zst: tierFile(ZST) }), metadataOf({}), 'ticks', [DAY]);
    expect(twice.unsettled).toEqual([DAY]);
    expect(twice.failed.map((f) => f.day)).toEqual([DAY]);
    const gone = planDays(scanOf({}), metadataOf({ state: 'compressed' }), 'ticks', [DAY]);
    expect(gone.unsettled).toEqual([DAY]);
    expect(gone.missing).toEqual([{ day: DAY }]);
    const purged = planDays(scanOf({}), metadataOf({ state: 'purged' }), 'ticks', [DAY]);
    expect(purged.unsettled).toEqual([]);
  });
});
