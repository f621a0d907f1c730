import { win32 } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addDays, ageOf, dayOf, dayRange, parseDay } from '../../../src/layout/day.js';
import { isSideFile, parseFileName } from '../../../src/layout/file-name.js';
import { dayPath, fileNameFor, tierDirs } from '../../../src/layout/tiers.js';

describe('days', () => {
  it('parses real dates and rejects impossible ones', () => {
    expect(parseDay('2024-02-29')).toBe('2024-02-29'); // leap day
    expect(parseDay('2025-02-29')).toBeUndefined();
    expect(parseDay('2026-02-30')).toBeUndefined();
    expect(parseDay('2026-13-01')).toBeUndefined();
    expect(parseDay('2026-00-10')).toBeUndefined();
    expect(parseDay('2026-1-01')).toBeUndefined();
    expect(parseDay('1900-02-29')).toBeUndefined(); // not a leap year
    expect(parseDay('2000-02-29')).toBe('2000-02-29');
  });

  it('computes UTC days across month, year and leap boundaries', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-02-29', 1)).toBe('2024-03-01');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(ageOf('2025-12-31', '2026-01-01')).toBe(1);
    expect(ageOf('2026-01-02', '2026-01-01')).toBe(-1);
    expect(ageOf('2024-03-01', '2025-03-01')).toBe(365);
    expect(ageOf('2023-03-01', '2024-03-01')).toBe(366);
    expect(dayRange('2024-02-27', '2024-03-01')).toEqual(['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01']);
  });

  it('takes "today" in UTC whatever the local offset of the instant', () => {
    expect(dayOf(new Date('2026-03-01T23:59:59.999-05:00'))).toBe('2026-03-02');
    expect(dayOf(new Date('2026-03-02T00:30:00+02:00'))).toBe('2026-03-01');
  });
});

describe('file names and paths', () => {
  it('parses database and compressed names, and tells unrelated and side files apart', () => {
    expect(parseFileName('ticks_2026-03-01.db')).toEqual({ ok: true, prefix: 'ticks', day: '2026-03-01', kind: 'db' });
    expect(parseFileName('fx.quotes_2024-02-29.db.zst')).toEqual({
      ok: true,
      prefix: 'fx.quotes',
      day: '2024-02-29',
      kind: 'zst',
    });
    expect(parseFileName('ticks_2026-02-30.db')).toEqual({ ok: false, reason: 'impossible date 2026-02-30' });
    expect(parseFileName('ticks-latest.db')?.ok).toBe(false);
    expect(parseFileName('notes.txt')).toBeUndefined();
    expect(parseFileName('ticks_2026-03-01.db-wal')).toBeUndefined();
    expect(parseFileName('.ticks_2026-03-01.db.zst.123.tmp')).toBeUndefined();
    expect(isSideFile('ticks_2026-03-01.db-shm')).toBe(true);
    expect(isSideFile('ticks_2026-03-01.db-journal')).toBe(true);
  });

  it('names every tier YYYY/MM/prefix_day, including a root with spaces', () => {
    const dirs = tierDirs({ root: '/srv/tick data', host: 'h1' });
    expect(dayPath(dirs, 'db', 'ticks', '2025-12-31', 'db')).toBe('/srv/tick data/db/2025/12/ticks_2025-12-31.db');
    expect(dayPath(dirs, 'db', 'ticks', '2026-01-01', 'zst')).toBe('/srv/tick data/db/2026/01/ticks_2026-01-01.db.zst');
    expect(dayPath(dirs, 'archive', 'ticks', '2024-02-29', 'zst')).toBe(
      '/srv/tick data/archive/2024/02/ticks_2024-02-29.db.zst',
    );
    expect(dayPath(dirs, 'backup', 'ticks', '2024-02-29', 'db')).toBe(
      '/srv/tick data/backup/2024/02/ticks_2024-02-29.db',
    );
    expect(dirs.metricsFile).toBe('/srv/tick data/metrics/tickdb.prom');
  });

  it('expands {host} in tier paths on a shared mount', () => {
    const dirs = tierDirs({ root: '/srv/t', archiveDir: '/mnt/nas/{host}/archive', backupDir: 'bk', host: 'trade-07' });
    expect(dirs.archive).toBe('/mnt/nas/trade-07/archive');
    expect(dirs.backup).toBe('/srv/t/bk');
  });

  it('round-trips names the way Windows paths are built', () => {
    const name = fileNameFor('ticks', '2026-03-01', 'zst');
    const p = win32.join('C:\\ProgramData\\tickdb\\data\\ticks', 'archive', '2026', '03', name);
    expect(p).toBe('C:\\ProgramData\\tickdb\\data\\ticks\\archive\\2026\\03\\ticks_2026-03-01.db.zst');
    expect(parseFileName(win32.basename(p))).toEqual({ ok: true, prefix: 'ticks', day: '2026-03-01', kind: 'zst' });
  });
});
