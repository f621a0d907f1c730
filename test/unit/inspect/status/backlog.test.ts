import { describe, expect, it } from 'vitest';
import { checkBacklog, computeBacklog, scheduleIntervalDays } from '../../../../src/inspect/status/backlog.js';
import { addDays } from '../../../../src/layout/day.js';
import type { DayRecord } from '../../../../src/store/metadata-types.js';
import type { TierFile } from '../../../../src/layout/scan.js';
import { config, facts, file, metadataOf, record, scanOf } from './fixtures.js';

const NOW = '2026-03-20T12:00:00Z';
const TODAY = '2026-03-20';
const ago = (n: number): string => addDays(TODAY, -n);

function backlogOf(files: TierFile[], records: DayRecord[], cfg = config()) {
  return computeBacklog(
    facts(NOW, { config: cfg, scan: scanOf(files), metadata: { metadata: metadataOf(records), found: true } }),
  );
}

describe('scheduleIntervalDays', () => {
  it('is 1 for daily or more often, 7 for weekly, 31 for monthly schedules', () => {
    expect(scheduleIntervalDays('0 0 * * *')).toBe(1);
    expect(scheduleIntervalDays('*/5 * * * *')).toBe(1);
    expect(scheduleIntervalDays('0 30 2 * * *')).toBe(1); // with seconds
    expect(scheduleIntervalDays('0 2 * * 0')).toBe(7);
    expect(scheduleIntervalDays('0 2 1 * *')).toBe(31);
  });
});

describe('backlog', () => {
  it('an unsealed past day is overdue from age 2 (yesterday is still in its normal window)', () => {
    const b = backlogOf(
      [file(ago(1), 'db', 'db'), file(ago(2), 'db', 'db')],
      [record(ago(1), 'live'), record(ago(2), 'live')],
    );
    expect(b.overdue).toEqual([
      { dataset: 'ticks', day: ago(2), age: 2, kinds: ['seal', 'backup'], path: file(ago(2), 'db', 'db').path },
    ]);
  });

  it('compression, archive and purge are overdue one schedule interval plus a day after they fall due', () => {
    const sealed = (n: number) => record(ago(n), 'sealed', { backupSha256: 'a'.repeat(64) });
    const zst = (n: number) => record(ago(n), 'compressed', { zstSha256: 'b'.repeat(64), zstBytes: 1000 });
    const b = backlogOf(
      [8, 9, 31, 32]
        .map((n) => file(ago(n), 'db', n < 30 ? 'db' : 'zst'))
        .concat([8, 9].map((n) => file(ago(n), 'backup', 'db')))
        .concat([181, 182].map((n) => file(ago(n), 'archive', 'zst'))),
      [sealed(8), sealed(9), zst(31), zst(32), zst(181), zst(182)],
    );
    expect(b.overdue.map((d) => `${d.kinds.join('+')} ${d.age}`)).toEqual(['purge 182', 'archive 32', 'compress 9']);
    // A weekly compression (the older scripts' schedule) gives it a week more.
    const weekly = config({ schedules: { ...config().schedules, compress: '0 2 * * 0' } });
    const w = backlogOf(
      [9, 15].flatMap((n) => [file(ago(n), 'db', 'db'), file(ago(n), 'backup', 'db')]),
      [sealed(9), sealed(15)],
      weekly,
    );
    expect(w.overdue.map((d) => d.age)).toEqual([15]);
  });

  it('is WARNING for a few days and CRITICAL for more than 3', () => {
    const days = [2, 3, 4, 5];
    const three = backlogOf(
      days.slice(0, 3).map((n) => file(ago(n), 'db', 'db')),
      [],
    );
    expect(checkBacklog(three).results[0]).toMatchObject({
      status: 'WARNING',
      message: expect.stringMatching(/^3 days are overdue: seal\+backup ticks\/2026-03-16 \(age 4\)/),
    });
    const four = backlogOf(
      days.map((n) => file(ago(n), 'db', 'db')),
      [],
    );
    expect(checkBacklog(four).results[0]?.status).toBe('CRITICAL');
    expect(checkBacklog(four).perf?.[0]).toMatchObject({ label: 'backlog_days', value: 4 });
  });

  it('leaves a day a writer holds to the busy check, and pre-creation to the today/tomorrow checks', () => {
    const b = backlogOf([file(ago(3), 'db', 'db')], [record(ago(3), 'live', { busySince: `${ago(2)}T00:15:00Z` })]);
    expect(b.overdue).toEqual([]);
    expect(backlogOf([], []).overdue).toEqual([]); // today and tomorrow missing: not backlog
  });

  it('reports a refused purge (a blocking plan note) as WARNING with its message', () => {
    const old = [200, 201, 202].map((n) => file(ago(n), 'archive', 'zst'));
    const recs = [200, 201, 202].map((n) => record(ago(n), 'archived', { zstSha256: 'b'.repeat(64), zstBytes: 1000 }));
    const b = backlogOf(old, recs, config({ maxPurgeDaysPerRun: 2 }));
    const out = checkBacklog(b).results;
    expect(out.find((r) => r.message.startsWith('purge refused'))).toMatchObject({
      status: 'WARNING',
      message: expect.stringContaining('maxPurgeDaysPerRun (2)'),
    });
  });

  it('cannot be computed without usable metadata: UNKNOWN', () => {
    const b = computeBacklog(
      facts(NOW, {
        scan: scanOf([file(ago(5), 'db', 'db')]),
        metadata: { metadata: metadataOf([]), found: false, problem: 'old format' },
      }),
    );
    expect(b.computed).toBe(false);
    expect(checkBacklog(b).results[0]?.status).toBe('UNKNOWN');
  });
});
