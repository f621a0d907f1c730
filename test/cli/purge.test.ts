import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

/**
 * `tickdb purge`, the command itself (DESIGN 3b): the guards refuse (exit 1, naming the guard, nothing deleted),
 * `--force` lifts them, and what is purged is audited with its reason.
 */
const NOW = '2026-03-20T12:00:00Z';
const ENV = {
  TICKDB_COMPRESS_AFTER_DAYS: '2',
  TICKDB_ARCHIVE_AFTER_DAYS: '4',
  TICKDB_PURGE_AFTER_DAYS: '6',
  TICKDB_MAX_PURGE_DAYS_PER_RUN: '2',
};

let cleanup: () => void;
let root: string;
beforeEach(() => {
  let dir: string;
  ({ dir, cleanup } = tempDir());
  root = join(dir, 'root');
});
afterEach(() => cleanup());

const tickdb = (args: string[], now = NOW) => runCli([...args, '--root', root, '--now', now], { env: ENV });
const dayDb = (day: string): string => join(root, 'db', day.slice(0, 4), day.slice(5, 7), `ticks_${day}.db`);
const OLD = ['2026-03-10', '2026-03-11', '2026-03-12', '2026-03-13', '2026-03-14']; // ages 10..6 on NOW
const audit = (): { event: string; day?: string; reason?: string }[] =>
  readFileSync(join(root, 'db', 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; day?: string; reason?: string });

describe('tickdb purge', () => {
  it('refuses more days than maxPurgeDaysPerRun (exit 1, naming the guard, nothing deleted); --force purges them', () => {
    expect(tickdb(['simulate', '--days', '10', '--rows', '50']).code).toBe(0);
    const refused = tickdb(['purge']);
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stdout).toContain(
      'REFUSED: purge refused: it would delete 5 days, more than maxPurgeDaysPerRun (2); review with --dry-run, then use --force',
    );
    for (const day of OLD) expect(existsSync(dayDb(day)), day).toBe(true);

    const forced = tickdb(['purge', '--force']);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    for (const day of OLD) expect(existsSync(dayDb(day)), day).toBe(false);
    expect(existsSync(dayDb('2026-03-15'))).toBe(true); // age 5: kept
    const purged = audit().filter((e) => e.event === 'purged');
    expect(purged.map((e) => e.day)).toEqual(OLD);
    expect(purged[0]?.reason).toBe('age 10 >= purgeAfterDays 6');
    const meta = JSON.parse(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8')) as {
      days: Record<string, { state: string }>;
    };
    for (const day of OLD) expect(meta.days[`ticks/${day}`]?.state).toBe('purged');
  });

  it('refuses to purge on a clock that is not after the newest sealed day (exit 1, naming the guard); --force overrides it', () => {
    expect(tickdb(['simulate', '--days', '8', '--rows', '50']).code).toBe(0);
    expect(tickdb(['rotate']).code).toBe(0); // seals up to 2026-03-19
    const behind = '2026-03-19T12:00:00Z'; // a clock set back a day: 2026-03-13 looks 6 days old
    const refused = tickdb(['purge'], behind);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      'REFUSED: purge refused: the clock (2026-03-19) is not after the newest sealed day (2026-03-19); check the system clock or --now, or use --force',
    );
    expect(existsSync(dayDb('2026-03-13'))).toBe(true);
    const forced = tickdb(['purge', '--force'], behind);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(existsSync(dayDb('2026-03-13'))).toBe(false);
  });
});
