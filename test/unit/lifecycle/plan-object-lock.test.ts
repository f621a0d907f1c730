import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { planObjectLock } from '../../../src/lifecycle/plan-object-lock.js';
import { emptyMetadata, type Metadata } from '../../../src/store/metadata-types.js';

// The lock sync's planner (DESIGN 12): nothing while the applied policy equals the config's; otherwise only the
// objects whose retention is shorter than the config asks, or whose legal hold differs.
const NOW = new Date('2026-03-20T12:00:00Z');

function config(extra: Record<string, unknown> = {}) {
  return configSchema.parse({
    root: '/r',
    compressAfterDays: 2,
    archiveAfterDays: 3,
    purgeAfterDays: 10,
    archiveTarget: { type: 's3', bucket: 'b-1', objectLock: { mode: 'COMPLIANCE' } },
    ...extra,
  });
}

function metadataWith(days: Record<string, string | undefined>): Metadata {
  const m = emptyMetadata(NOW);
  for (const [day, retainUntil] of Object.entries(days)) {
    m.days[`ticks/${day}`] = {
      dataset: 'ticks',
      day,
      state: 'archived',
      remote: {
        target: 's3',
        bucket: 'b-1',
        key: `ticks/${day}`,
        versionId: `v-${day}`,
        etag: 'e',
        bytes: 1,
        sha256: 'x',
        lockMode: 'COMPLIANCE',
        ...(retainUntil !== undefined ? { retainUntil } : {}),
        uploadedAt: NOW.toISOString(),
        verifiedAt: NOW.toISOString(),
      },
    };
  }
  return m;
}

const plan = (m: Metadata, c = config(), keepTestRetention = false) =>
  planObjectLock({ metadata: m, config: c, holds: c.legalHolds, now: NOW, job: 'archive', keepTestRetention });

describe('planObjectLock', () => {
  it('extends only shorter retentions, and plans nothing once the policy is recorded as applied', () => {
    const m = metadataWith({ '2026-03-15': '2026-03-25T00:00:00.000Z', '2026-03-14': '2026-04-30T00:00:00.000Z' });
    const p = plan(m, config({ purgeAfterDays: 20 }));
    expect(p.changed).toBe(true);
    expect(p.steps.map((s) => [s.day, s.retainUntil])).toEqual([['2026-03-15', '2026-04-04T00:00:00.000Z']]);
    m.objectLockApplied = { ...(p.policy ?? { mode: 'COMPLIANCE', retentionDays: {}, holds: [] }), appliedAt: 'x' };
    expect(plan(m, config({ purgeAfterDays: 20 }))).toMatchObject({ changed: false, steps: [] });
  });

  it('a shrink plans no step and is reported (the longer date stays)', () => {
    const m = metadataWith({ '2026-03-15': '2026-03-25T00:00:00.000Z' });
    const first = plan(m);
    m.objectLockApplied = { ...(first.policy ?? { mode: 'COMPLIANCE', retentionDays: {}, holds: [] }), appliedAt: 'x' };
    const p = plan(m, config({ purgeAfterDays: 5 }));
    expect(p.steps).toEqual([]);
    expect(p.shrunk).toEqual([{ dataset: 'ticks', from: 10, to: 5 }]);
  });

  it('sets a hold the config adds and lifts one it removes', () => {
    const m = metadataWith({ '2026-03-15': '2026-03-25T00:00:00.000Z', '2026-03-16': '2026-03-26T00:00:00.000Z' });
    const held = config({ legalHolds: [{ day: '2026-03-15', reason: 'inquiry' }] });
    expect(plan(m, held).steps.map((s) => [s.day, s.legalHold, s.retainUntil])).toEqual([
      ['2026-03-15', true, undefined],
    ]);
    const rec = m.days['ticks/2026-03-16']?.remote;
    if (rec !== undefined) rec.legalHold = true;
    expect(plan(m, held).steps.map((s) => [s.day, s.legalHold])).toEqual([
      ['2026-03-15', true],
      ['2026-03-16', false],
    ]);
  });

  it('without objectLock there is no policy; with the test retention hook retention is left as written', () => {
    const m = metadataWith({ '2026-03-15': '2026-03-20T12:00:15.000Z' });
    expect(plan(m, config({ archiveTarget: { type: 's3', bucket: 'b-1' } })).policy).toBeUndefined();
    expect(plan(m, config(), true).steps).toEqual([]);
    expect(plan(m, config()).steps).toHaveLength(1);
  });
});
