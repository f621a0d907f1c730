import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addDays, ageOf } from '../../src/layout/day.js';
import { parseJson, runCli, tempDir } from '../helpers/cli.js';
import { Daemon, filesUnder, isCatchUpDone, isStarted } from './daemon-harness.js';

const T = '2026-03-10T13:00:00Z';
const ENV = { TICKDB_COMPRESSION_LEVEL: '3' };

interface InventoryEntry {
  day: string;
  tier: 'db' | 'archive' | 'backup';
  kind: 'db' | 'zst';
  state: string;
  path: string;
}

function inventory(root: string, now: string): InventoryEntry[] {
  const r = runCli(['inventory', '--json', '--root', root, '--now', now]);
  expect(r.code, r.stderr).toBe(0);
  return parseJson<InventoryEntry[]>(r.stdout);
}

/** Starts the agent, registered for cleanup at once (a wait that fails must not leave it running), until caught up. */
async function runAgentUntilCaughtUp(
  root: string,
  now: string,
  cleanups: (() => void | Promise<void>)[],
): Promise<Daemon> {
  const agent = new Daemon(['run', '--root', root, '--now', now], { env: ENV });
  cleanups.push(() => agent.kill());
  await agent.waitForLog('catch-up finished', isCatchUpDone);
  return agent;
}

describe('tickdb run: crash and outage recovery (real process)', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('after a kill -9 during work, a restart takes the stale lock over and completes the work', async () => {
    const { dir: root, cleanup } = tempDir();
    cleanups.push(cleanup);
    expect(
      runCli(['simulate', '--days', '10', '--rows', '300', '--root', root, '--now', T, '--log-level', 'warn']).code,
    ).toBe(0);

    // The agent dies with SIGKILL in the middle of its first compression (its .tmp written, not yet renamed).
    const crashed = new Daemon(['run', '--root', root, '--now', T], {
      env: { ...ENV, TICKDB_FAULT: 'compress:after-tmp' },
    });
    cleanups.push(() => crashed.kill());
    await crashed.waitForLog('agent started', isStarted);
    expect(await crashed.waitForExit(60_000)).toEqual({ code: null, signal: 'SIGKILL' });
    const stale = JSON.parse(readFileSync(join(root, 'db', 'tickdb.lock'), 'utf8')) as { pid: number };
    expect(stale.pid).toBe(crashed.pid);
    expect(filesUnder(root).some((f) => f.endsWith('.tmp'))).toBe(true);

    const agent = await runAgentUntilCaughtUp(root, T, cleanups);
    expect(JSON.parse(readFileSync(join(root, 'db', 'tickdb.lock'), 'utf8'))).toMatchObject({
      pid: agent.pid,
      command: 'run',
    });
    expect(agent.lines.find(isCatchUpDone)?.ok).toBe(true);
    agent.signal('SIGTERM');
    expect(await agent.waitForExit(30_000)).toEqual({ code: 0, signal: null });

    expect(filesUnder(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const inv = inventory(root, T).filter((e) => e.tier !== 'backup');
    for (const e of inv) {
      const age = ageOf(e.day, '2026-03-10');
      const expected = age >= 7 ? ['zst', 'compressed'] : age >= 1 ? ['db', 'sealed'] : ['db', 'live'];
      expect([e.kind, e.state], `${e.day} (age ${age})`).toEqual(expected);
    }
    expect(inv).toHaveLength(12);
  });

  it('catches up after a 10-day outage: days are sealed, compressed and archived as the policy says', async () => {
    const { dir: root, cleanup } = tempDir();
    cleanups.push(cleanup);
    expect(
      runCli(['simulate', '--days', '25', '--rows', '200', '--root', root, '--now', T, '--log-level', 'warn']).code,
    ).toBe(0);

    const first = await runAgentUntilCaughtUp(root, T, cleanups);
    first.signal('SIGTERM');
    expect(await first.waitForExit(30_000)).toEqual({ code: 0, signal: null });
    // Before the outage: nothing old enough for the archive yet (oldest day is 25 days old).
    expect(inventory(root, T).filter((e) => e.tier === 'archive')).toEqual([]);

    const later = '2026-03-20T13:00:00Z';
    const second = await runAgentUntilCaughtUp(root, later, cleanups);
    expect(second.lines.find(isCatchUpDone)).toMatchObject({ ok: true, today: '2026-03-20' });
    second.signal('SIGTERM');
    expect(await second.waitForExit(30_000)).toEqual({ code: 0, signal: null });

    const inv = inventory(root, later);
    const primary = inv.filter((e) => e.tier !== 'backup');
    const days = new Set(primary.map((e) => e.day));
    // 25 simulated days + the two pre-created at the first start + today and tomorrow after the outage.
    expect(days.size).toBe(29);
    expect(primary).toHaveLength(29);
    for (const e of primary) {
      const age = ageOf(e.day, '2026-03-20');
      const expected =
        age >= 30
          ? ['archive', 'zst', 'archived']
          : age >= 7
            ? ['db', 'zst', 'compressed']
            : age >= 1
              ? ['db', 'db', 'sealed']
              : ['db', 'db', 'live'];
      expect([e.tier, e.kind, e.state], `${e.day} (age ${age})`).toEqual(expected);
    }
    expect(
      primary
        .filter((e) => e.tier === 'archive')
        .map((e) => e.day)
        .sort(),
    ).toEqual(Array.from({ length: 6 }, (_, i) => addDays('2026-02-13', i)));
    // Backups are kept for days younger than backupRetentionDays (30) and removed for older ones.
    for (const b of inv.filter((e) => e.tier === 'backup')) expect(ageOf(b.day, '2026-03-20')).toBeLessThan(30);
    expect(existsSync(join(root, 'db', 'tickdb.lock'))).toBe(false);
    expect(filesUnder(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
