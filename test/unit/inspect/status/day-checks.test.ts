import { describe, expect, it } from 'vitest';
import { checkBusyDays, checkToday, checkTomorrow } from '../../../../src/inspect/status/day-checks.js';
import { config, dirs, facts, file, metadataOf, record, scanOf } from './fixtures.js';
import { dayPath } from '../../../../src/layout/tiers.js';

const NOW = '2026-03-10T13:00:00Z';

describe("today's database", () => {
  it('is CRITICAL when missing, naming the day and the file', () => {
    const out = checkToday(facts(NOW)).results;
    expect(out).toEqual([
      expect.objectContaining({
        status: 'CRITICAL',
        dataset: 'ticks',
        day: '2026-03-10',
        path: dayPath(dirs, 'db', 'ticks', '2026-03-10', 'db'),
        message: `today's database ticks/2026-03-10 is missing: ${dayPath(dirs, 'db', 'ticks', '2026-03-10', 'db')}`,
      }),
    ]);
    expect(out[0]?.hint).toContain('tickdb rotate');
  });

  it('is CRITICAL when read-only by mode, or when access(2) refuses its owner or a read-only filesystem', () => {
    const ro = file('2026-03-10', 'db', 'db', { mode: 0o444 });
    expect(checkToday(facts(NOW, { scan: scanOf([ro]) })).results[0]).toMatchObject({
      status: 'CRITICAL',
      message: expect.stringContaining('read-only (mode 0444)'),
    });
    const rw = file('2026-03-10', 'db', 'db');
    const scan = scanOf([rw]);
    const denied = (code: string, ownerUid: number) => ({ [rw.path]: { code, ownerUid } });
    expect(checkToday(facts(NOW, { scan, writable: denied('EPERM', 1000) })).results[0]).toMatchObject({
      status: 'CRITICAL',
      message: expect.stringContaining('cannot be written (EPERM)'),
    });
    expect(checkToday(facts(NOW, { scan, writable: denied('EROFS', 0) })).results[0]).toMatchObject({
      status: 'CRITICAL',
      hint: 'remount the filesystem read-write',
    });
    expect(
      checkTomorrow(
        facts('2026-03-10T13:00:00Z', {
          scan: scanOf([file('2026-03-11', 'db', 'db')]),
          writable: { [file('2026-03-11', 'db', 'db').path]: { code: 'EROFS', ownerUid: 0 } },
        }),
      ).results[0]?.status,
    ).toBe('WARNING');
  });

  it('run as another user than the owner (a monitoring agent), an access refusal is only mentioned', () => {
    const rw = file('2026-03-10', 'db', 'db');
    const out = checkToday(
      facts(NOW, { scan: scanOf([rw]), uid: 110, writable: { [rw.path]: { code: 'EACCES', ownerUid: 1000 } } }),
    ).results[0];
    expect(out).toMatchObject({
      status: 'OK',
      message: expect.stringContaining('not writable by uid 110, owner uid 1000'),
    });
    expect(checkToday(facts(NOW, { scan: scanOf([rw]) })).results[0]).toMatchObject({ status: 'OK' });
  });

  it('checks every dataset', () => {
    const two = config({ datasets: [...config().datasets, { ...config().datasets[0]!, prefix: 'fx' }] });
    const out = checkToday(facts(NOW, { config: two, scan: scanOf([file('2026-03-10', 'db', 'db')]) })).results;
    expect(out.map((r) => [r.status, r.dataset])).toEqual([['CRITICAL', 'fx']]);
  });
});

describe("tomorrow's database", () => {
  it('is not due before tomorrowDueHour (UTC) and WARNING when missing after it', () => {
    expect(checkTomorrow(facts('2026-03-10T11:59:00Z')).results[0]).toMatchObject({
      status: 'OK',
      message: expect.stringContaining('not due before 12:00 UTC'),
    });
    expect(checkTomorrow(facts('2026-03-10T12:00:00Z')).results[0]).toMatchObject({
      status: 'WARNING',
      day: '2026-03-11',
    });
    expect(
      checkTomorrow(facts('2026-03-10T12:00:00Z', { config: config({ tomorrowDueHour: 20 }) })).results[0]?.status,
    ).toBe('OK');
    expect(
      checkTomorrow(facts('2026-03-10T23:00:00Z', { scan: scanOf([file('2026-03-11', 'db', 'db')]) })).results[0]
        ?.status,
    ).toBe('OK');
  });
});

describe('days held by a writer', () => {
  const busy = (since: string) => ({
    metadata: metadataOf([record('2026-03-09', 'live', { busySince: since })]),
    found: true,
  });

  it('is WARNING once a busy day is past its due time, CRITICAL when more than a day late', () => {
    // 2026-03-09 is due to be sealed at 2026-03-10T00:15Z (midnight + 15 min grace).
    const warn = checkBusyDays(facts('2026-03-10T09:00:00Z', { metadata: busy('2026-03-10T00:15:00Z') })).results[0];
    expect(warn).toMatchObject({
      status: 'WARNING',
      day: '2026-03-09',
      path: dayPath(dirs, 'db', 'ticks', '2026-03-09', 'db'),
    });
    expect(warn?.message).toBe(
      'a writer still holds ticks/2026-03-09 since 2026-03-10T00:15:00Z; it was due to be sealed at 2026-03-10T00:15:00.000Z and is not backed up yet',
    );
    expect(
      checkBusyDays(facts('2026-03-11T00:14:00Z', { metadata: busy('2026-03-10T00:15:00Z') })).results[0]?.status,
    ).toBe('WARNING');
    expect(
      checkBusyDays(facts('2026-03-11T00:16:00Z', { metadata: busy('2026-03-10T00:15:00Z') })).results[0]?.status,
    ).toBe('CRITICAL');
  });

  it('ignores a day sealed since', () => {
    const sealed = {
      metadata: metadataOf([record('2026-03-09', 'sealed', { busySince: '2026-03-10T00:15:00Z' })]),
      found: true,
    };
    expect(checkBusyDays(facts('2026-03-12T00:00:00Z', { metadata: sealed })).results[0]?.status).toBe('OK');
  });
});
