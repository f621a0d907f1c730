import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliAsync, tempDir } from '../helpers/cli.js';

// Ten days, ages 1-4 sealed and 5-10 compressed in db/; then, while queries run, the agent (run --once) compresses
// ages 2-4 (a .db becomes a .db.zst) and archives ages 7-10 (a .db.zst moves to archive/).
const NOW = '2026-03-12T06:00:00Z';
const BEFORE = { compressAfterDays: 5, archiveAfterDays: 31, purgeAfterDays: 400, backupRetentionDays: 0 };
const MOVING = { compressAfterDays: 2, archiveAfterDays: 7, purgeAfterDays: 400, backupRetentionDays: 0 };
const SQL = 'SELECT ts, symbol, bid, ask FROM ticks WHERE symbol = :sym ORDER BY ts';
const ROUNDS = 5;

describe('tickdb query beside the agent moving days', () => {
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

  it('reads every day, where the agent moved it, with the same rows as before the move', async () => {
    const reference = runCli(query(base));
    expect(reference.code, reference.stderr).toBe(0);
    expect(reference.stdout.split('\n').length).toBeGreaterThan(1000);
    // Each round starts from the same tree, runs the agent's compress and archive steps, and queries until the
    // agent is done. A round whose queries all missed every move (the agent was quicker) proves nothing about the
    // race, so rounds go on until one query has read a day from where the agent moved it.
    let queries = 0;
    let sawMove = false;
    for (let round = 1; round <= ROUNDS && !sawMove; round++) {
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
          expect(r.stdout).toBe(reference.stdout);
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
    expect(queries).toBeGreaterThan(0);
    expect(sawMove, `${queries} queries in ${ROUNDS} rounds, none read a day the agent moved meanwhile`).toBe(true);
  });
});
