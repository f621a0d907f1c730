import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { TickdbError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function root(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

function overlapError(env: Record<string, string>): TickdbError {
  try {
    loadConfig({ env });
  } catch (err) {
    if (err instanceof TickdbError) return err;
    throw err;
  }
  throw new Error(`expected a configuration error for ${JSON.stringify(env)}`);
}

describe('tier paths that overlap are refused at load', () => {
  const cases: [string, Record<string, string>, string, string][] = [
    ['archive inside db (the case found by hand)', { TICKDB_ARCHIVE_DIR: 'db/2026' }, 'archiveDir', 'root'],
    ['archive equal to db', { TICKDB_ARCHIVE_DIR: 'db' }, 'root', 'archiveDir'],
    ['backup equal to archive', { TICKDB_BACKUP_DIR: 'same', TICKDB_ARCHIVE_DIR: 'same' }, 'backupDir', 'archiveDir'],
    ['db inside the backup tier', { TICKDB_BACKUP_DIR: '.' }, 'root', 'backupDir'],
    [
      'metrics file inside the archive tier',
      { TICKDB_METRICS_FILE: 'archive/tickdb.prom' },
      'metricsFile',
      'archiveDir',
    ],
    [
      'backup inside archive',
      { TICKDB_ARCHIVE_DIR: 'cold', TICKDB_BACKUP_DIR: 'cold/backup' },
      'backupDir',
      'archiveDir',
    ],
  ];
  for (const [name, env, inner, outer] of cases) {
    it(name, () => {
      const err = overlapError({ TICKDB_ROOT: root(), ...env });
      expect(err.code).toBe('CONFIG');
      expect(err.message).toContain(`fields ${inner} and ${outer} overlap`);
    });
  }

  it('a symlink that leads into another tier counts as inside it', () => {
    const r = root();
    mkdirSync(join(r, 'db', '2026'), { recursive: true });
    symlinkSync(join(r, 'db', '2026'), join(r, 'cold'));
    expect(overlapError({ TICKDB_ROOT: r, TICKDB_ARCHIVE_DIR: 'cold' }).message).toContain(
      'fields archiveDir and root overlap',
    );
  });

  it('separate tiers, including names that only share a prefix, load', () => {
    const r = root();
    expect(() =>
      loadConfig({
        env: { TICKDB_ROOT: r, TICKDB_ARCHIVE_DIR: 'db-archive', TICKDB_BACKUP_DIR: join(r, '..', 'elsewhere-backup') },
      }),
    ).not.toThrow();
    expect(() => loadConfig({ env: { TICKDB_ROOT: r } })).not.toThrow();
  });
});
