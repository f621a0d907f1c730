import { describe, expect, it } from 'vitest';
import {
  localCopies,
  notDrillable,
  pickDrillDays,
  seededRandom,
  type DrillCandidate,
} from '../../../src/drill/drill-plan.js';
import type { DayRecord } from '../../../src/store/metadata-types.js';
import { file, scanOf } from '../../helpers/plan-fixtures.js';

const SHA = 'a'.repeat(64);
const rec = (day: string, extra: Partial<DayRecord> = {}): DayRecord => ({
  dataset: 'ticks',
  day,
  state: 'sealed',
  sha256: SHA,
  bytes: 1000,
  ...extra,
});

describe('what a drill may restore', () => {
  it('refuses days that are quarantined, pending a move, live, purged or without a recorded hash', () => {
    expect(notDrillable(rec('2026-03-01'))).toBeUndefined();
    expect(
      notDrillable(
        rec('2026-03-01', {
          state: 'quarantined',
          quarantine: { reason: 'bad', path: '/x', at: 'x', previousState: 'sealed' },
        }),
      ),
    ).toMatch(/quarantined \(bad\)/);
    expect(notDrillable(rec('2026-03-01', { pendingDelete: '/x' }))).toMatch(/interrupted move/);
    expect(notDrillable(rec('2026-03-01', { state: 'live' }))).toMatch(/not sealed/);
    expect(notDrillable(rec('2026-03-01', { state: 'purged' }))).toBe('purged');
    expect(notDrillable(rec('2026-03-01', { sha256: undefined }))).toMatch(/no recorded SHA-256/);
  });

  it('lists the copy where the state puts it and the backup once recorded as the sealed day', () => {
    const day = '2026-03-01';
    const files = scanOf([file(day, 'db', 'db'), file(day, 'backup', 'db')]).days.get(`ticks/${day}`);
    expect(localCopies(rec(day, { backupSha256: SHA }), files).map((c) => `${c.tier}:${c.kind}`)).toEqual([
      'db:db',
      'backup:db',
    ]);
    // a backup copied live by the older scripts (not recorded as the sealed day's) is not vouched for
    expect(localCopies(rec(day), files).map((c) => c.tier)).toEqual(['db']);
    expect(localCopies(rec(day, { backupSha256: 'b'.repeat(64) }), files).map((c) => c.tier)).toEqual(['db']);
    const zst = scanOf([file(day, 'db', 'zst')]).days.get(`ticks/${day}`);
    expect(localCopies(rec(day, { state: 'compressed' }), zst).map((c) => `${c.tier}:${c.kind}`)).toEqual(['db:zst']);
    const arch = scanOf([file(day, 'archive', 'zst')]).days.get(`ticks/${day}`);
    expect(localCopies(rec(day, { state: 'archived' }), arch).map((c) => `${c.tier}:${c.kind}`)).toEqual([
      'archive:zst',
    ]);
    // the record says compressed but only a .db is there: not a copy the record vouches for
    expect(localCopies(rec(day, { state: 'compressed' }), files)).toEqual([]);
  });
});

describe('pickDrillDays', () => {
  const candidates: DrillCandidate[] = [
    { key: 'ticks/a', age: 1, tiers: ['db', 'backup'] },
    { key: 'ticks/b', age: 9, tiers: ['db', 'backup'] },
    { key: 'ticks/c', age: 90, tiers: ['archive'] },
  ];

  it('picks one day per tier that has a copy there', () => {
    const picks = pickDrillDays(candidates, ['db', 'backup', 'archive', 's3'], seededRandom(1));
    expect(picks.map((p) => p.tier)).toEqual(['db', 'backup', 'archive']);
    expect(picks.find((p) => p.tier === 'archive')?.key).toBe('ticks/c');
  });

  it('weights the choice by age: the older day is picked about age-proportionally often', () => {
    const random = seededRandom(42);
    let older = 0;
    const n = 5000;
    for (let i = 0; i < n; i++) if (pickDrillDays(candidates, ['db'], random)[0]?.key === 'ticks/b') older++;
    // weights 1 and 9: 90% expected
    expect(older / n).toBeGreaterThan(0.87);
    expect(older / n).toBeLessThan(0.93);
  });

  it('replays the same choice from the same seed', () => {
    const a = pickDrillDays(candidates, ['db', 'backup'], seededRandom(7));
    const b = pickDrillDays(candidates, ['db', 'backup'], seededRandom(7));
    expect(a).toEqual(b);
  });
});
