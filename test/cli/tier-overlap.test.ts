import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

/** Overlapping tier paths are refused before anything is touched (the rules: test/unit/config/tier-overlap.test.ts). */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function root(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('tier paths that overlap, from the command line', () => {
  it('the CLI exits 2 naming both fields, and creates nothing', () => {
    const r = root();
    const cli = runCli(['run', '--once', '--root', r, '--now', '2026-03-10T12:00:00Z'], {
      env: { TICKDB_ARCHIVE_DIR: 'db/2026' },
    });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(
      /archiveDir \(.*db\/2026\) \(from env TICKDB_ARCHIVE_DIR\) is inside the db tier of root/,
    );
    expect(cli.stderr).toContain('fields archiveDir and root overlap');
    expect(existsSync(join(r, 'db'))).toBe(false);
    expect(runCli(['status', '--root', r], { env: { TICKDB_ARCHIVE_DIR: 'db/2026' } }).code).toBe(3);
  });
});
