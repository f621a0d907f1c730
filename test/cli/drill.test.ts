import {
  chmodSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  rmSync,
  writeSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTree } from '../helpers/faults.js';
import { parseJson, runCli, tempDir, expectExit } from '../helpers/cli.js';

/**
 * Restore drills through the CLI on a real tree: sealed days with backups, compressed days in db/, archived days.
 * Thresholds are shrunk so that 12 simulated days fill every tier: compress at 3 days, archive at 6, backups kept 5.
 */
const NOW = '2026-03-20T12:00:00Z';
const POLICY = {
  compressAfterDays: 3,
  archiveAfterDays: 6,
  purgeAfterDays: 60,
  backupRetentionDays: 5,
  compressionLevel: 1,
};

interface DrillJson {
  ok: boolean;
  seed?: number;
  days: {
    dataset: string;
    day: string;
    ok: boolean;
    quarantined: boolean;
    copies: { tier: string; location: string; ok: boolean; bad: boolean; message: string }[];
  }[];
  planned: { key: string; copies: { tier: string; location: string }[] }[];
}
interface Meta {
  days: Record<
    string,
    {
      state: string;
      backupSha256?: string;
      quarantine?: { path: string; reason: string };
      drill?: { ok: boolean; copies: { tier: string }[] };
    }
  >;
  jobs: Record<string, { ok: boolean; lastSuccessAt?: string; errors: string[]; counts: Record<string, number> }>;
}

/** Flips bytes in the middle of a file, keeping its size (bit rot), even when it is read-only. */
function rot(path: string): void {
  chmodSync(path, 0o644);
  const fd = openSync(path, 'r+');
  try {
    const size = readFileSync(path).length;
    const at = Math.floor(size / 2);
    const b = Buffer.alloc(64);
    readSync(fd, b, 0, 64, at);
    for (let i = 0; i < b.length; i++) b[i] = (b[i] ?? 0) ^ 0xff;
    writeSync(fd, b, 0, 64, at);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o444);
}

describe('tickdb drill', () => {
  let dir: string;
  let cleanup: () => void;
  let tree: string;
  let config: string;
  const meta = (root: string): Meta =>
    JSON.parse(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8')) as Meta;
  const cli = (root: string, ...args: string[]) => runCli([...args, '--root', root, '--config', config, '--now', NOW]);
  const fresh = (name: string): string => {
    const root = join(dir, name);
    copyTree(tree, root);
    return root;
  };

  beforeAll(() => {
    ({ dir, cleanup } = tempDir('tickdb-drill-'));
    config = join(dir, 'tickdb.json');
    writeFileSync(config, JSON.stringify(POLICY));
    tree = join(dir, 'tree');
    expectExit(runCli(['simulate', '--days', '12', '--rows', '3000', '--root', tree, '--now', NOW]));
    const r = cli(tree, 'run', '--once');
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => cleanup());

  it('the scheduled drill restores one day per tier, records it, and status and the metrics show it', () => {
    const root = fresh('scheduled');
    const r = cli(root, 'drill', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = parseJson<DrillJson>(r.stdout);
    expect(report.ok).toBe(true);
    const tiers = report.days.flatMap((d) => d.copies.map((c) => c.tier)).sort();
    expect(tiers).toEqual(['archive', 'backup', 'db']);
    for (const c of report.days.flatMap((d) => d.copies))
      expect(c.message).toMatch(/restored and verified: integrity ok, 3000 rows/);
    const m = meta(root);
    expect(m.jobs.drill).toMatchObject({ ok: true, errors: [], counts: { copies: 3, failed: 0 } });
    expect(m.jobs.drill?.lastSuccessAt).toBeDefined();
    for (const d of report.days) expect(m.days[`${d.dataset}/${d.day}`]?.drill?.ok).toBe(true);
    const audit = readFileSync(join(root, 'db', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; ok?: boolean });
    expect(audit.filter((l) => l.event === 'drill').length).toBe(report.days.length);
    expectExit(cli(root, 'audit', 'verify'));
    // the same seed picks the same days
    const again = parseJson<DrillJson>(cli(root, 'drill', '--json', '--seed', String(report.seed)).stdout);
    expect(again.days.map((d) => d.day)).toEqual(report.days.map((d) => d.day));

    const status = cli(root, 'status');
    expect(status.stdout).toMatch(/OK\s+drill\s+last restore drill succeeded/);
    expectExit(cli(root, 'run', '--once'));
    const prom = readFileSync(join(root, 'metrics', 'tickdb.prom'), 'utf8');
    expect(prom).toMatch(/^tickdb_drill_last_success_timestamp_seconds \d+$/m);
    expect(prom).toMatch(/^tickdb_drill_last_run_ok 1$/m);
  });

  it('a drill of a day checks every stored copy of it; a dry run checks nothing', () => {
    const root = fresh('by-day');
    const before = readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8');
    const dry = cli(root, 'drill', '2026-03-16', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/2 copies would be restored and checked \(dry run, nothing changed\)/);
    expect(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8')).toBe(before);
    // age 4: compressed in db/, backup kept (age < 5)
    const r = cli(root, 'drill', '2026-03-16', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = parseJson<DrillJson>(r.stdout);
    expect(report.days[0]?.copies.map((c) => `${c.tier}:${c.location.endsWith('.db.zst') ? 'zst' : 'db'}`)).toEqual([
      'db:zst',
      'backup:db',
    ]);
    // age 10: archived only
    const old = parseJson<DrillJson>(cli(root, 'drill', '2026-03-10', '--json').stdout);
    expect(old.days[0]?.copies.map((c) => c.tier)).toEqual(['archive']);
  });

  it('a rotten backup fails the drill: exit 1 naming the day, the day quarantined, the backup no longer trusted', () => {
    const root = fresh('bad-backup');
    const backup = join(root, 'backup', '2026', '03', 'ticks_2026-03-18.db');
    rot(backup);
    const r = cli(root, 'drill', '2026-03-18');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /the drill of ticks\/2026-03-18 failed: ticks\/2026-03-18: backup copy .*ticks_2026-03-18\.db: /,
    );
    expect(r.stdout).toMatch(/backup\s+FAILED/);
    expect(r.stdout).toMatch(/db\s+ok/);
    const rec = meta(root).days['ticks/2026-03-18'];
    expect(rec?.state).toBe('quarantined');
    expect(rec?.quarantine?.path).toBe(backup);
    expect(rec?.quarantine?.reason).toMatch(/^restore drill: /);
    expect(rec?.backupSha256).toBeUndefined();
    expect(rec?.drill?.ok).toBe(false);
    expect(existsSync(backup)).toBe(true); // never deleted
    const status = cli(root, 'status');
    expect(status.code).toBe(2);
    expect(status.stdout).toMatch(
      /CRITICAL\s+drill\s+the last restore drill .* failed: ticks\/2026-03-18: backup copy/,
    );
    expect(status.stdout).toMatch(/CRITICAL\s+quarantine\s+ticks\/2026-03-18 is quarantined/);
    expectExit(cli(root, 'audit', 'verify'));
  });

  it('a damaged archived copy fails the drill and quarantines the day', () => {
    const root = fresh('bad-archive');
    const zst = join(root, 'archive', '2026', '03', 'ticks_2026-03-09.db.zst');
    rot(zst);
    const r = cli(root, 'drill', '2026-03-09', '--json');
    expect(r.code).toBe(1);
    const report = parseJson<DrillJson>(r.stdout);
    expect(report.days[0]).toMatchObject({ ok: false, quarantined: true });
    expect(report.days[0]?.copies[0]).toMatchObject({ tier: 'archive', ok: false, bad: true });
    expect(meta(root).days['ticks/2026-03-09']?.state).toBe('quarantined');
    expect(meta(root).jobs.drill).toMatchObject({ ok: false, counts: { failed: 1 } });
  });

  it('refuses, naming the day, what cannot be drilled: today, an unknown day, a day already quarantined', () => {
    const root = fresh('refused');
    const today = cli(root, 'drill', '2026-03-20');
    expect(today.code).toBe(1);
    expect(today.stderr).toMatch(/ticks\/2026-03-20 cannot be drilled: not sealed yet/);
    const unknown = cli(root, 'drill', '2025-01-01');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/ticks\/2025-01-01 is not recorded in the metadata/);
    expect(cli(root, 'drill', 'yesterday').code).toBe(2);
    expect(cli(root, 'drill', '2026-03-16', '--seed', '3').code).toBe(2);
    rot(join(root, 'backup', '2026', '03', 'ticks_2026-03-18.db'));
    expect(cli(root, 'drill', '2026-03-18').code).toBe(1); // quarantined by this drill
    const again = cli(root, 'drill', '2026-03-18');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ticks\/2026-03-18 cannot be drilled: quarantined \(restore drill: /);
  });

  it('a copy the metadata records but the disk lacks fails the drill of its day, and quarantines nothing', () => {
    const root = fresh('missing');
    rmSync(join(root, 'db', '2026', '03', 'ticks_2026-03-16.db.zst'));
    const r = cli(root, 'drill', '2026-03-16', '--json');
    expect(r.code).toBe(1);
    const report = parseJson<DrillJson>(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.days[0]?.copies.map((c) => [c.tier, c.ok])).toEqual([
      ['db', false],
      ['backup', true],
    ]);
    expect(report.days[0]?.copies[0]?.message).toMatch(
      /the \.db\.zst the metadata records in the db tier is not there/,
    );
    expect(report.days[0]?.copies[0]?.location).toBe(join(root, 'db', '2026', '03', 'ticks_2026-03-16.db.zst'));
    const m = meta(root);
    expect(m.days['ticks/2026-03-16']?.state).toBe('compressed');
    expect(m.days['ticks/2026-03-16']?.drill?.ok).toBe(false);
    expect(m.jobs.drill).toMatchObject({ ok: false, counts: { copies: 2, failed: 0, unchecked: 1 } });
  });

  it('a drill that cannot start is recorded as failed: status and the metrics stop showing the last success', () => {
    const root = fresh('no-scratch');
    expectExit(cli(root, 'drill'));
    const r = runCli(['drill', '--root', root, '--config', config, '--now', NOW], {
      env: { TMPDIR: join(dir, 'no-such-folder') },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/create the drill scratch folder in .*no-such-folder/);
    expect(meta(root).jobs.drill).toMatchObject({ ok: false, lastSuccessAt: expect.any(String) });
    expect(cli(root, 'status').stdout).toMatch(/CRITICAL\s+drill\s+the last restore drill .* failed: .*scratch folder/);
    expectExit(cli(root, 'run', '--once'));
    expect(readFileSync(join(root, 'metrics', 'tickdb.prom'), 'utf8')).toMatch(/^tickdb_drill_last_run_ok 0$/m);
  });

  it('status warns when no drill has succeeded for 14 days', () => {
    const root = fresh('stale');
    expectExit(cli(root, 'drill'));
    const before = runCli(['status', '--root', root, '--config', config, '--now', '2026-04-02T12:00:00Z']);
    expect(before.stdout).toMatch(/OK\s+drill\s+last restore drill succeeded/); // 13 days: not yet
    const later = runCli(['status', '--root', root, '--config', config, '--now', '2026-04-05T12:00:00Z']);
    expect(later.stdout).toMatch(
      /WARNING\s+drill\s+no restore drill has succeeded for \d+ d \d+ h \(last success 2026-03-20T12:00/,
    );
    const never = fresh('never');
    const s = runCli(['status', '--root', never, '--config', config, '--now', '2026-04-05T12:00:00Z']);
    expect(s.stdout).toMatch(/WARNING\s+drill\s+no restore drill has ever succeeded, and days have been sealed since/);
    // The metric the TickdbDrillStale alert reads says the same, on a host that never drilled (no drill metric yet).
    const prom = (): string => readFileSync(join(never, 'metrics', 'tickdb.prom'), 'utf8');
    expectExit(cli(never, 'run', '--once'));
    expect(prom()).toMatch(/^tickdb_drill_stale 0$/m);
    expect(prom()).not.toMatch(/^tickdb_drill_last_success_timestamp_seconds/m);
    expectExit(runCli(['run', '--once', '--root', never, '--config', config, '--now', '2026-04-05T12:00:00Z']));
    expect(prom()).toMatch(/^tickdb_drill_stale 1$/m);
  });
});
