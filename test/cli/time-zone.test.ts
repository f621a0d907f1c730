import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJson, runCli, tempDir } from '../helpers/cli.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

/** How far `iso` is after `start`, in seconds; negative (and failing) when before. `--now` sets a clock that moves on. */
function secondsAfter(iso: string, start: string): number {
  const s = (Date.parse(iso) - Date.parse(start)) / 1000;
  expect(s, iso).toBeGreaterThanOrEqual(0);
  return s;
}

/** Issue 15 item 3: the host's zone never changes what `--now` means (trading hosts run in the exchange's zone). */
describe('--now on a host in another time zone', () => {
  it.each(['America/New_York', 'Asia/Kolkata'])('reads a time without a zone as UTC under TZ=%s', (tz) => {
    const root = join(dir, 'r');
    const r = runCli(['rotate', '--root', root, '--now', '2026-03-10T00:20:00', '--json'], { env: { TZ: tz } });
    expect(r.code, r.stderr).toBe(0);
    const report = parseJson<{ now: string; today: string }>(r.stdout);
    expect(report.today).toBe('2026-03-10');
    expect(secondsAfter(report.now, '2026-03-10T00:20:00Z')).toBeLessThan(60);
    const withZone = runCli(['rotate', '--root', root, '--now', '2026-03-10T05:50:00+05:30', '--json'], {
      env: { TZ: tz },
    });
    expect(secondsAfter(parseJson<{ now: string }>(withZone.stdout).now, '2026-03-10T00:20:00Z')).toBeLessThan(60);
  });

  it('says so in --help', () => {
    const help = runCli(['rotate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('a time without a zone is UTC');
  });
});
