import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJson, runCli } from '../helpers/cli.js';
import { usePristineTree } from '../helpers/pristine-tree.js';

const NOW = '2026-03-10T12:00:00Z';
// Ages 1-2 sealed, 3-5 compressed in db/, 6-8 archived; all backed up.
const ENV = { TICKDB_COMPRESSION_LEVEL: '3', TICKDB_COMPRESS_AFTER_DAYS: '3', TICKDB_ARCHIVE_AFTER_DAYS: '6' };
const tree = usePristineTree({ days: 8, rows: 300, now: NOW, env: ENV });

interface Problem {
  key: string;
  path: string;
  kind: string;
  expected: string;
  found: string;
}
interface Report {
  ok: boolean;
  deep: boolean;
  checkedFiles: number;
  problems: Problem[];
  notes: { message: string }[];
}
interface DayRec {
  state: string;
  sha256?: string;
  zstSha256?: string;
  backupSha256?: string;
}
interface Meta {
  days: Record<string, DayRec>;
  audit: { count: number };
}

const tickdb = (args: string[]) => runCli([...args, '--root', tree.root, '--now', NOW], { env: ENV });
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const path = (tier: string, day: string, ext: string): string =>
  join(tree.root, tier, day.slice(0, 4), day.slice(5, 7), `ticks_${day}${ext}`);
const metaPath = (): string => join(tree.root, 'db', 'rotation_metadata.json');
const readMeta = (): Meta => JSON.parse(readFileSync(metaPath(), 'utf8')) as Meta;
const writeMeta = (m: Meta): void => writeFileSync(metaPath(), JSON.stringify(m, null, 2));

function flipByte(file: string, offset: number): void {
  chmodSync(file, 0o644);
  const buf = readFileSync(file);
  buf[offset] = (buf[offset] ?? 0) ^ 0xff;
  writeFileSync(file, buf);
}

function verify(...flags: string[]): { code: number | null; report: Report } {
  const r = tickdb(['verify', '--json', ...flags]);
  return { code: r.code, report: parseJson<Report>(r.stdout) };
}

describe('tickdb verify', () => {
  it('passes on a healthy tree, shallow and deep', () => {
    const states = Object.values(readMeta().days)
      .map((d) => d.state)
      .sort();
    expect(new Set(states)).toEqual(new Set(['archived', 'compressed', 'sealed', 'live']));
    const shallow = verify();
    expect(shallow.code).toBe(0);
    expect(shallow.report).toMatchObject({ ok: true, deep: false, problems: [] });
    // 8 past days + backups + today's and tomorrow's live databases.
    expect(shallow.report.checkedFiles).toBe(8 + 8 + 2);
    const deep = verify('--deep');
    expect(deep.code).toBe(0);
    expect(deep.report).toMatchObject({ ok: true, deep: true, problems: [] });
    const human = tickdb(['verify']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^OK: 10 day\(s\) recorded, 18 file\(s\) checked/m);
  });

  it('a flipped byte in a .zst, an archived .zst or a backup exits 1 naming each file', () => {
    const zst = path('db', '2026-03-06', '.db.zst');
    const archived = path('archive', '2026-03-03', '.db.zst');
    const backup = path('backup', '2026-03-08', '.db');
    const expected = { zst: sha256(zst), backup: sha256(backup) };
    flipByte(zst, 100);
    flipByte(archived, 200);
    flipByte(backup, 5000);
    const { code, report } = verify();
    expect(code).toBe(1);
    expect(report.problems.map((p) => [p.key, p.path, p.kind]).sort()).toEqual([
      ['ticks/2026-03-03', archived, 'sha256'],
      ['ticks/2026-03-06', zst, 'sha256'],
      ['ticks/2026-03-08', backup, 'sha256'],
    ]);
    expect(report.problems.find((p) => p.path === zst)).toMatchObject({ expected: expected.zst, found: sha256(zst) });
    expect(report.problems.find((p) => p.path === backup)).toMatchObject({
      expected: expected.backup,
      found: sha256(backup),
    });
    const human = tickdb(['verify']);
    expect(human.code).toBe(1);
    for (const p of [zst, archived, backup]) expect(human.stdout).toContain(p);
  });

  it('reports a deleted database as missing', () => {
    const db = path('db', '2026-03-09', '.db');
    rmSync(db);
    const { code, report } = verify();
    expect(code).toBe(1);
    expect(report.problems).toEqual([
      expect.objectContaining({ key: 'ticks/2026-03-09', path: db, kind: 'missing', found: 'no file' }),
    ]);
  });

  it('--deep catches a damaged compressed file whose recorded hash is its own (damaged before it was recorded)', () => {
    const zst = path('db', '2026-03-05', '.db.zst');
    flipByte(zst, 300);
    const meta = readMeta();
    const rec = meta.days['ticks/2026-03-05'];
    if (rec === undefined) throw new Error('no record');
    rec.zstSha256 = sha256(zst);
    writeMeta(meta);
    expect(verify().code).toBe(0);
    const { code, report } = verify('--deep');
    expect(code).toBe(1);
    expect(report.problems).toEqual([expect.objectContaining({ key: 'ticks/2026-03-05', path: zst, kind: 'content' })]);
  });

  it('--deep runs integrity checks on sealed databases', () => {
    const db = path('db', '2026-03-08', '.db');
    chmodSync(db, 0o644);
    const buf = readFileSync(db);
    buf.fill(0x5a, 4096, 4096 * 3);
    writeFileSync(db, buf);
    const meta = readMeta();
    const rec = meta.days['ticks/2026-03-08'];
    if (rec === undefined) throw new Error('no record');
    rec.sha256 = sha256(db);
    writeMeta(meta);
    expect(verify().code).toBe(0);
    const { code, report } = verify('--deep');
    expect(code).toBe(1);
    expect(report.problems).toEqual([expect.objectContaining({ path: db, kind: 'integrity' })]);
  });

  it('includes the audit chain', () => {
    const audit = join(tree.root, 'db', 'audit.jsonl');
    writeFileSync(audit, readFileSync(audit, 'utf8').replace('"rows":300', '"rows":301'));
    const { code, report } = verify();
    expect(code).toBe(1);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'audit', found: expect.stringMatching(/^edited/) }),
    ]);
  });

  it('without usable metadata, exits 1 pointing at --rebuild', () => {
    writeFileSync(metaPath(), '{ torn');
    const r = tickdb(['verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('verify --rebuild');
  });
});

describe('tickdb verify --rebuild', () => {
  function expectRebuiltThenRestored(original: Meta): void {
    const rebuilt = readMeta();
    for (const [key, rec] of Object.entries(original.days)) {
      const now = rebuilt.days[key];
      // Compressed and archived days come back at once; a .db is recorded live until the next run seals it again.
      expect(now?.state, key).toBe(rec.state === 'sealed' ? 'live' : rec.state);
    }
    const audit = readFileSync(join(tree.root, 'db', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(audit[audit.length - 1] ?? '{}')).toMatchObject({ event: 'metadata-rebuilt' });
    expect(tickdb(['audit', 'verify']).code).toBe(0);
    const run = tickdb(['run', '--once']);
    expect(run.code, run.stdout).toBe(0);
    const after = readMeta();
    for (const [key, rec] of Object.entries(original.days)) {
      expect(after.days[key], key).toMatchObject({
        state: rec.state,
        ...(rec.sha256 ? { sha256: rec.sha256 } : {}),
        ...(rec.zstSha256 ? { zstSha256: rec.zstSha256 } : {}),
      });
    }
    expect(verify().code).toBe(0);
  }

  it('rebuilds a deleted rotation_metadata.json from the files on disk', () => {
    const original = readMeta();
    rmSync(metaPath());
    const r = tickdb(['verify', '--rebuild']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/archived\s+3/);
    expect(r.stdout).toMatch(/compressed\s+3/);
    expect(r.stdout).toContain('metadata rebuilt: 10 day(s)');
    expectRebuiltThenRestored(original);
  });

  it('keeps a corrupt rotation_metadata.json aside, never deleting it, and rebuilds', () => {
    const original = readMeta();
    writeFileSync(metaPath(), '{"schemaVersion": 1, "days": [tor');
    const r = tickdb(['verify', '--rebuild', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = parseJson<{ keptAside: string; byState: Record<string, number>; days: number }>(r.stdout);
    expect(summary.days).toBe(10);
    expect(summary.byState).toEqual({ archived: 3, compressed: 3, live: 4 });
    expect(existsSync(summary.keptAside)).toBe(true);
    expect(readFileSync(summary.keptAside, 'utf8')).toBe('{"schemaVersion": 1, "days": [tor');
    expect(
      readdirSync(join(tree.root, 'db')).filter((f) => f.startsWith('rotation_metadata.json.unreadable-')),
    ).toHaveLength(1);
    expectRebuiltThenRestored(original);
  });

  it('from usable metadata keeps the verified states; --dry-run writes nothing', () => {
    const before = readFileSync(metaPath(), 'utf8');
    const dry = tickdb(['verify', '--rebuild', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(parseJson<{ byState: Record<string, number> }>(dry.stdout).byState).toEqual({
      archived: 3,
      compressed: 3,
      sealed: 2,
      live: 2,
    });
    expect(readFileSync(metaPath(), 'utf8')).toBe(before);
    expect(tickdb(['verify', '--rebuild']).code).toBe(0);
    expect(Object.values(readMeta().days).filter((d) => d.state === 'sealed')).toHaveLength(2);
    expect(verify().code).toBe(0);
  });
});
