import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJson, runCli, tempDir } from '../helpers/cli.js';

/**
 * Quarantine keeps a file exactly as it was found (DESIGN 3, quarantine): its bytes and its mode bits, and a
 * damaged file found at any step (seal, archive) is quarantined there, reported by `status`, and skipped by later
 * runs instead of failing each of them.
 */
const NOW = '2026-03-10T12:00:00Z';
const ENV = { TICKDB_COMPRESSION_LEVEL: '3', TICKDB_COMPRESS_AFTER_DAYS: '2', TICKDB_ARCHIVE_AFTER_DAYS: '4' };

interface DayRec {
  state: string;
  quarantine?: { reason: string; path: string; previousState: string };
}
interface StatusDoc {
  status: string;
  checks: { name: string; status: string; message: string; day?: string; path?: string }[];
}

let dir: string;
let cleanup: () => void;
let root: string;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  root = join(dir, 'root');
});
afterEach(() => cleanup());

const tickdb = (args: string[], now = NOW) => runCli([...args, '--root', root, '--now', now], { env: ENV });
const dayFile = (tier: string, day: string, ext: string): string =>
  join(root, tier, day.slice(0, 4), day.slice(5, 7), `ticks_${day}${ext}`);
const record = (key: string): DayRec | undefined =>
  (JSON.parse(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8')) as { days: Record<string, DayRec> })
    .days[key];

describe('quarantine keeps a file as it was found', () => {
  it('a read-only adopted database that fails its seal is quarantined with its mode 0444 and its bytes unchanged', () => {
    expect(tickdb(['simulate', '--days', '3', '--rows', '200']).code).toBe(0);
    const db = dayFile('db', '2026-03-08', '.db');
    const garbage = Buffer.alloc(16384, 0x5a);
    writeFileSync(db, garbage);
    chmodSync(db, 0o444); // as the older scripts left sealed days
    const run = tickdb(['rotate']);
    expect(run.code, run.stderr).toBe(1);
    expect(record('ticks/2026-03-08')?.state).toBe('quarantined');
    expect((statSync(db).mode & 0o777).toString(8)).toBe('444');
    expect(readFileSync(db).equals(garbage)).toBe(true);
  });

  it('a .zst damaged in db/ after it was verified is quarantined by the archive step, reported by status, and later runs pass', () => {
    expect(tickdb(['simulate', '--days', '5', '--rows', '300']).code).toBe(0);
    expect(tickdb(['run', '--once']).code).toBe(0);
    const zst = dayFile('db', '2026-03-07', '.db.zst');
    expect(record('ticks/2026-03-07')?.state).toBe('compressed');
    // Bit rot: same size, other bytes. Two days later the day is past archiveAfterDays.
    const bytes = readFileSync(zst);
    bytes.fill(0x33, 100, 200);
    chmodSync(zst, 0o644);
    writeFileSync(zst, bytes);
    chmodSync(zst, 0o444);
    const later = '2026-03-12T12:00:00Z';
    const run = tickdb(['archive'], later);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toMatch(/ticks_2026-03-07\.db\.zst: corrupt \.zst: SHA-256 [0-9a-f]{64} != recorded/);
    const rec = record('ticks/2026-03-07');
    expect(rec?.state).toBe('quarantined');
    expect(rec?.quarantine).toMatchObject({
      path: zst,
      previousState: 'compressed',
      reason: expect.stringMatching(/SHA-256/),
    });
    expect(readFileSync(zst).equals(bytes)).toBe(true);
    expect((statSync(zst).mode & 0o777).toString(8)).toBe('444');
    const status = tickdb(['status', '--json'], later);
    expect(status.code).toBe(2);
    const doc = parseJson<StatusDoc>(status.stdout);
    expect(doc.checks.filter((c) => c.name === 'quarantine')).toEqual([
      expect.objectContaining({ status: 'CRITICAL', day: '2026-03-07', message: expect.stringContaining(zst) }),
    ]);
    // Skipped until released: the next run does not fail on it again.
    const again = tickdb(['archive'], later);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/ticks\/2026-03-07 is quarantined/);
  });
});
