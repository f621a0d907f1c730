/**
 * docs/operations.md, "Replace a failed disk", the db tier's disk with its metadata and audit trail: the runbook's
 * steps, run as written, bring back every day that has a backup, sealed again to the very SHA-256 (and `.db.zst`)
 * the lost metadata recorded. `tickdb restore` cannot do it: it checks a backup against the recorded hash, which
 * went with the disk.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/cli.js';
import { usePristineTree } from '../helpers/pristine-tree.js';

const NOW = '2026-11-29T12:00:00Z';
// Ages 1-4 sealed .db, 5-7 compressed, 8-10 archived; every day backed up (the archived ones too).
const ENV = {
  TICKDB_COMPRESSION_LEVEL: '3',
  TICKDB_COMPRESS_AFTER_DAYS: '5',
  TICKDB_ARCHIVE_AFTER_DAYS: '8',
  TICKDB_BACKUP_RETENTION_DAYS: '30',
};
const tree = usePristineTree({ days: 10, rows: 500, now: NOW, env: ENV });

interface Day {
  state: string;
  sha256?: string;
  zstSha256?: string;
}
const days = (root: string): Record<string, Day> =>
  (JSON.parse(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8')) as { days: Record<string, Day> }).days;

describe('losing the db tier disk (metadata and audit trail with it)', () => {
  it('the runbook: backups copied into db/, verify --rebuild, run --once: every day back with its old hashes', () => {
    const root = tree.root;
    const before = days(root);
    const past = Object.entries(before).filter(([, d]) => ['sealed', 'compressed', 'archived'].includes(d.state));
    expect(past.map(([, d]) => d.state).sort()).toEqual([
      ...Array(3).fill('archived'),
      ...Array(3).fill('compressed'),
      ...Array(4).fill('sealed'),
    ]);

    rmSync(join(root, 'db'), { recursive: true }); // the disk is gone; a new one is mounted at the same path
    mkdirSync(join(root, 'db'));
    const cli = (args: string[]) => runCli([...args, '--root', root, '--now', NOW], { env: ENV });
    // The way the runbook used to say: rebuild, then restore. Restore cannot check a backup against a hash that
    // went with the disk, and refuses.
    expect(cli(['verify', '--rebuild']).code).toBe(0);
    const restore = cli(['restore', '2026-11-28', '--from', 'backup']);
    expect(restore.code).not.toBe(0);
    expect(restore.stderr).toMatch(/no recorded SHA-256/);

    // The runbook's own shell lines, as written (its folder assignments replaced by this tree's).
    const runbook = readFileSync(join(REPO, 'docs', 'operations.md'), 'utf8');
    const block = /```sh\n([^`]*for f in \*\/\*\/\*\.db[^`]*?)```/.exec(runbook)?.[1] ?? '';
    const shell = block
      .split('\n')
      .map((l) => l.replace(/^\s+/, ''))
      .filter((l) => l !== '' && !/^(ROOT|BACKUP|ARCHIVE)=/.test(l) && !l.startsWith('tickdb '));
    expect(shell.join('\n')).toMatch(/^cd "\$BACKUP" && for f in[\s\S]*\ndone/);
    const copy = spawnSync('sh', ['-ec', shell.join('\n')], {
      env: { ...process.env, ROOT: root, BACKUP: join(root, 'backup'), ARCHIVE: join(root, 'archive') },
      encoding: 'utf8',
    });
    expect(copy.status, copy.stderr).toBe(0);
    // What the runbook's next two lines say, through the CLI.
    const rebuild = cli(['verify', '--rebuild']);
    expect(rebuild.code, rebuild.stderr).toBe(0);
    const run = cli(['run', '--once']);
    expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);

    const after = days(root);
    for (const [key, d] of past) {
      expect({ key, state: after[key]?.state, sha256: after[key]?.sha256, zst: after[key]?.zstSha256 }).toEqual({
        key,
        state: d.state,
        sha256: d.sha256,
        zst: d.zstSha256,
      });
    }
    const verify = cli(['verify', '--deep']);
    expect(verify.code, verify.stdout).toBe(0);
  });
});
