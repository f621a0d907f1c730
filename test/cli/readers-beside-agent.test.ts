import { chmodSync, closeSync, cpSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliAsync, tempDir } from '../helpers/cli.js';
import { runCliPausedAt } from '../helpers/paused-cli.js';

// Ten days, ages 1-4 sealed and 5-10 compressed in db/; then, while queries run, the agent (run --once) compresses
// ages 2-4 (a .db becomes a .db.zst) and archives ages 7-10 (a .db.zst moves to archive/).
const NOW = '2026-03-12T06:00:00Z';
const BEFORE = { compressAfterDays: 5, archiveAfterDays: 31, purgeAfterDays: 400, backupRetentionDays: 0 };
const MOVING = { compressAfterDays: 2, archiveAfterDays: 7, purgeAfterDays: 400, backupRetentionDays: 0 };
const SQL = 'SELECT ts, symbol, bid, ask FROM ticks WHERE symbol = :sym ORDER BY ts';
const ROUNDS = 2;

describe('commands that take no lock (query, verify) beside the agent moving days', () => {
  let tmp: { dir: string; cleanup: () => void };
  let base: string;
  const config = (dir: string, policy: object): string => {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'config.json');
    const cache = { dir: join(dir, 'cache'), maxBytes: 1 << 30 };
    writeFileSync(path, JSON.stringify({ ...policy, compressionLevel: 1, queryCache: cache }));
    return path;
  };
  const tree = (dir: string): string[] => ['--root', join(dir, 'root'), '--config', join(dir, 'config.json')];
  const query = (dir: string): string[] => [
    'query',
    SQL,
    '--param',
    'sym=AAPL',
    '--from',
    '2026-03-02',
    '--to',
    '2026-03-11',
    '--format',
    'csv',
    '--log-level',
    'debug',
    ...tree(dir),
    '--now',
    NOW,
  ];

  beforeAll(() => {
    tmp = tempDir('tickdb-query-agent-');
    base = join(tmp.dir, 'base');
    config(base, BEFORE);
    const sim = runCli(['simulate', '--days', '10', '--rows', '20000', ...tree(base), '--now', NOW]);
    expect(sim.code, sim.stderr).toBe(0);
    const seal = runCli(['run', '--once', ...tree(base), '--now', NOW]);
    expect(seal.code, seal.stderr).toBe(0);
  });
  afterAll(() => tmp.cleanup());

  let reference: string;
  it('reads the days the agent moves between its plan and its reads from where they went', async () => {
    const before = runCli(query(base));
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout.split('\n').length).toBeGreaterThan(1000);
    reference = before.stdout;
    const dir = join(tmp.dir, 'paused');
    cpSync(base, dir, { recursive: true });
    rmSync(join(dir, 'cache'), { recursive: true, force: true }); // no day of db/ answered from the cache
    config(dir, MOVING);
    // The query plans, then waits (TICKDB_FAULT=query:after-plan) until its stdin ends; meanwhile the agent moves
    // 7 of its 10 days.
    const paused = await runCliPausedAt('query:after-plan', query(dir), {}, () =>
      runCli(['run', '--once', ...tree(dir), '--now', NOW]),
    );
    const { result, meanwhile: moved } = paused;
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/compressed .*ticks_2026-03-10\.db ->/);
    expect(moved.stdout).toMatch(/archived .*ticks_2026-03-02\.db\.zst ->/);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(reference);
    const movedDays = [...result.stderr.matchAll(/moved to (\S+) while the query ran/g)].map((m) =>
      m[1]?.replace(dir, ''),
    );
    expect(movedDays.sort()).toEqual([
      ...['02', '03', '04', '05'].map((d) => `/root/archive/2026/03/ticks_2026-03-${d}.db.zst`),
      ...['08', '09', '10'].map((d) => `/root/db/2026/03/ticks_2026-03-${d}.db.zst`),
    ]);
  });

  it('verify reports no problem for the days the agent moved during its check, and still reports a real one', async () => {
    const dir = join(tmp.dir, 'verify');
    cpSync(base, dir, { recursive: true });
    config(dir, MOVING);
    // A real problem on a day the agent leaves alone (age 1): its sealed .db changed after the seal.
    const damaged = join(dir, 'root', 'db', '2026', '03', 'ticks_2026-03-11.db');
    chmodSync(damaged, 0o644);
    const fd = openSync(damaged, 'r+');
    writeSync(fd, Buffer.from('x'), 0, 1, 5000);
    closeSync(fd);
    const paused = await runCliPausedAt('verify:after-read', ['verify', '--json', ...tree(dir), '--now', NOW], {}, () =>
      runCli(['run', '--once', ...tree(dir), '--now', NOW]),
    );
    const { result, meanwhile: moved } = paused;
    expect(result.code, result.stderr).toBe(1);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/archived .*ticks_2026-03-02\.db\.zst ->/);
    const report = JSON.parse(result.stdout) as {
      problems: { key: string; kind: string }[];
      notes: { message: string }[];
    };
    expect(report.problems.map((p) => [p.key, p.kind])).toEqual([['ticks/2026-03-11', 'sha256']]);
    const note = report.notes.find((n) => n.message.includes('checked again as they are now'));
    expect(note?.message).toMatch(/^7 day\(s\) changed by another process/);
  });

  it('reads every day right while the agent moves days, query after query', async () => {
    // Real concurrency, unlike the test above: each round starts from the same tree, runs the agent's compress and
    // archive steps, and queries until the agent is done; each query meets the agent at another point of its moves
    // (its plan, or its reads, in the middle of one), and each must give every row.
    let queries = 0;
    let sawMove = false;
    for (let round = 1; round <= ROUNDS; round++) {
      const dir = join(tmp.dir, `round-${round}`);
      rmSync(dir, { recursive: true, force: true });
      cpSync(base, dir, { recursive: true });
      config(dir, MOVING);
      let agentDone = false;
      const agent = runCliAsync(['run', '--once', ...tree(dir), '--now', NOW]).finally(() => {
        agentDone = true;
      });
      try {
        while (!agentDone) {
          const r = await runCliAsync(query(dir));
          queries++;
          expect(r.code, r.stderr).toBe(0);
          expect(r.stdout).toBe(reference);
          if (r.stderr.includes('while the query ran')) sawMove = true;
          rmSync(join(dir, 'cache'), { recursive: true, force: true });
        }
      } finally {
        await agent; // a failed query leaves no agent writing into the folder being cleaned up
      }
      const ran = await agent;
      expect(ran.code, ran.stderr).toBe(0);
      expect(ran.stdout).toMatch(/compressed .*ticks_2026-03-10\.db ->/);
      expect(ran.stdout).toMatch(/archived .*ticks_2026-03-02\.db\.zst ->/);
    }
    expect(queries).toBeGreaterThanOrEqual(ROUNDS);
    console.log(`${queries} queries beside the agent in ${ROUNDS} rounds; a day moved meanwhile read: ${sawMove}`);
  });
});
