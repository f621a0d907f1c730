import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, ageOf } from '../../src/layout/day.js';
import { parseJson, runCli, tempDir } from '../helpers/cli.js';
import { rowsDigest, snapshot, zstdCompress, zstdDecompress } from '../helpers/tree.js';
import { needProgram } from '../helpers/external-programs.js';

const NOW = '2026-07-20T06:00:00Z';
const TODAY = '2026-07-20';
const ENV = { TICKDB_COMPRESSION_LEVEL: '3' };
const p = (root: string, tier: string, day: string, ext: string): string =>
  join(root, tier, day.slice(0, 4), day.slice(5, 7), `ticks_${day}${ext}`);
const HELD = { from: addDays(TODAY, -190), to: addDays(TODAY, -185) };

describe.skipIf(!needProgram('zstd', 'sqlite3'))(
  'a 200-day tree left by the older scripts, processed by run --once',
  () => {
    let dir: string;
    let root: string;
    let config: string;
    let cleanup: () => void;
    const before = new Map<string, { rows: number; digest: string }>();

    beforeAll(() => {
      ({ dir, cleanup } = tempDir());
      root = join(dir, 'root');
      config = join(dir, 'tickdb.json');
      writeFileSync(
        config,
        JSON.stringify({ legalHolds: [{ dataset: 'ticks', ...HELD, reason: 'SEC inquiry 2026-041' }] }),
      );
      const sim = runCli(['simulate', '--days', '200', '--rows', '200', '--root', root, '--now', NOW]);
      expect(sim.code, sim.stderr).toBe(0);
      // Shape it like the older scripts left it: every third day of age 8..199 compressed by the zstd CLI,
      // backups copied with cp for ages 1..40, and a metadata file in their format.
      for (let age = 1; age <= 200; age++) {
        const day = addDays(TODAY, -age);
        const db = p(root, 'db', day, '.db');
        before.set(day, rowsDigest(db));
        if (age <= 40) {
          mkdirSync(dirname(p(root, 'backup', day, '.db')), { recursive: true });
          copyFileSync(db, p(root, 'backup', day, '.db'));
        }
        if (age >= 8 && age % 3 === 0) {
          zstdCompress(db, `${db}.zst`, 19);
          rmSync(db);
        }
      }
      writeFileSync(
        join(root, 'db', 'rotation_metadata.json'),
        JSON.stringify({ last_compress: '2026-07-13', compressed: 61 }),
      );
    });
    afterAll(() => cleanup());

    it('dry run prints the plan and changes no file', () => {
      const snap = snapshot(root);
      const r = runCli(['run', '--once', '--dry-run', '--json', '--root', root, '--config', config, '--now', NOW], {
        env: ENV,
      });
      expect(r.code, r.stderr).toBe(0);
      const report = parseJson<{
        dryRun: boolean;
        results: { step: { kind: string; bytes?: number }; outcome: { status: string } }[];
      }>(r.stdout);
      expect(report.dryRun).toBe(true);
      expect(report.results.every((x) => x.outcome.status === 'planned')).toBe(true);
      const kinds = new Set(report.results.map((x) => x.step.kind));
      for (const k of ['precreate', 'seal', 'backup', 'compress', 'adopt-zst', 'archive', 'purge'])
        expect(kinds).toContain(k);
      expect(report.results.filter((x) => x.step.kind === 'purge').every((x) => (x.step.bytes ?? 0) > 0)).toBe(true);
      expect(snapshot(root)).toEqual(snap);
      const human = runCli(['run', '--once', '--dry-run', '--root', root, '--config', config, '--now', NOW], {
        env: ENV,
      });
      expect(human.stdout).toMatch(/planned \(dry run, nothing changed\)/);
      expect(snapshot(root)).toEqual(snap);
    });

    it('ends with every tier as the policy says, every surviving row intact, held days kept', () => {
      const r = runCli(['run', '--once', '--root', root, '--config', config, '--now', NOW], { env: ENV });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      const scratch = join(dir, 'scratch.db');
      for (let age = -1; age <= 200; age++) {
        const day = addDays(TODAY, -age);
        const where = {
          db: existsSync(p(root, 'db', day, '.db')),
          zst: existsSync(p(root, 'db', day, '.db.zst')),
          archive: existsSync(p(root, 'archive', day, '.db.zst')),
          backup: existsSync(p(root, 'backup', day, '.db')),
        };
        const held = day >= HELD.from && day <= HELD.to;
        const expected = age <= 6 ? 'db' : age <= 29 ? 'zst' : age <= 179 || held ? 'archive' : 'none';
        expect({ day, age, ...where }).toEqual({
          day,
          age,
          db: expected === 'db',
          zst: expected === 'zst',
          archive: expected === 'archive',
          backup: age >= 1 && age < 30,
        });
        if (age < 1 || expected === 'none') continue;
        const file = expected === 'db' ? p(root, 'db', day, '.db') : scratch;
        if (expected !== 'db')
          zstdDecompress(
            expected === 'zst' ? p(root, 'db', day, '.db.zst') : p(root, 'archive', day, '.db.zst'),
            scratch,
          );
        expect(rowsDigest(file), `${day} (age ${age})`).toEqual(before.get(day));
        if (where.backup) expect(rowsDigest(p(root, 'backup', day, '.db')), `backup ${day}`).toEqual(before.get(day));
      }
      // The old metadata file was kept aside, not lost.
      expect(readdirSync(join(root, 'db')).some((n) => n.startsWith('rotation_metadata.json.unreadable-'))).toBe(true);
    });

    it('a second run changes nothing', () => {
      // State files a run rewrites by design: metadata, audit, metrics, and the samples of today's WAL (DESIGN 16c).
      const skip = (n: string): boolean =>
        n === 'rotation_metadata.json' || n === 'audit.jsonl' || n === 'wal_samples.json' || n.endsWith('.prom');
      const snap = snapshot(root, skip);
      const r = runCli(['run', '--once', '--json', '--root', root, '--config', config, '--now', NOW], { env: ENV });
      expect(r.code, r.stderr).toBe(0);
      expect(parseJson<{ results: unknown[] }>(r.stdout).results).toEqual([]);
      expect(snapshot(root, skip)).toEqual(snap);
    });

    it('records every purge with its reason in the audit trail', () => {
      const audit = readFileSync(join(root, 'db', 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; day?: string; reason?: string; age?: number });
      const purged = audit.filter((a) => a.event === 'purged');
      expect(purged.map((a) => a.day).sort()).toEqual(
        Array.from({ length: 21 }, (_, i) => addDays(TODAY, -(180 + i)))
          .filter((d) => d < HELD.from || d > HELD.to)
          .sort(),
      );
      for (const a of purged) {
        expect(a.reason).toMatch(/purgeAfterDays 180/);
        expect(a.age).toBe(ageOf(a.day ?? '', TODAY));
      }
    });
  },
);
