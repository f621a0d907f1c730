import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJson, runCli, tempDir } from '../helpers/cli.js';
import { Daemon, filesUnder, isCatchUpDone, isStarted } from './daemon-harness.js';

const T = '2026-03-10T13:10:00Z';
/** Two months on: every job has work to plan (seal, compress, archive, purge of backups). */
const LATER = '2026-05-10T13:10:00Z';
const ENV = { TICKDB_COMPRESSION_LEVEL: '3' };
const ONE_SHOT: string[][] = [
  ['run', '--once'],
  ['rotate'],
  ['compress'],
  ['archive'],
  ['purge'],
  ['verify', '--rebuild'],
];

/**
 * Every file under `root` with what a write would change: size, mode, modification time, and the bytes. Not the
 * metrics file nor the WAL samples, nor their atomic-write temporaries (`.NAME.PID.tmp`, src/fs/atomic-write.ts):
 * the running agent rewrites the first when its watcher reports its own catch-up's changes, and samples today's -wal
 * right after its catch-up, at moments the test cannot order (a CI run caught `.tickdb.prom.PID.tmp` mid-write). The
 * dry runs' own metrics writes are checked from their logs; a dry-run agent takes no samples (ops-pass.ts).
 */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const agentState = [join(root, 'metrics', 'tickdb.prom'), join(root, 'db', 'wal_samples.json')];
  const isAgentState = (p: string): boolean =>
    agentState.some(
      (f) => p === f || (dirname(p) === dirname(f) && basename(p).startsWith(`.${basename(f)}.`) && p.endsWith('.tmp')),
    );
  for (const f of filesUnder(root).filter((p) => !isAgentState(p))) {
    const st = lstatSync(f);
    out[f] =
      `${st.size} ${st.mode.toString(8)} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(f)).digest('hex')}`;
  }
  return out;
}

/** Issue 15 item 8: a dry run only reads. No lock, no folder, no file; so it works while the agent runs. */
describe('--dry-run', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('on a root that does not exist creates no folder or file', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const root = join(dir, 'nothing-here');
    for (const cmd of ONE_SHOT) {
      const r = runCli([...cmd, '--dry-run', '--root', root, '--now', T]);
      expect(r.code, `${cmd.join(' ')}: ${r.stderr}`).toBe(0);
      expect(existsSync(root), `${cmd.join(' ')} created ${root}`).toBe(false);
    }
  });

  it('works while the agent runs: takes no lock, changes no file, and a dry-run agent starts beside it', async () => {
    const { dir: root, cleanup } = tempDir();
    cleanups.push(cleanup);
    const sim = runCli([
      'simulate',
      '--days',
      '12',
      '--rows',
      '300',
      '--root',
      root,
      '--now',
      T,
      '--log-level',
      'warn',
    ]);
    expect(sim.code, sim.stderr).toBe(0);
    const agent = new Daemon(['run', '--root', root, '--now', T], { env: ENV });
    cleanups.push(() => agent.kill());
    await agent.waitForLog('catch-up finished', isCatchUpDone);
    const lock = readFileSync(join(root, 'db', 'tickdb.lock'), 'utf8');
    const before = snapshot(root);

    for (const cmd of ONE_SHOT) {
      const r = runCli([...cmd, '--dry-run', '--json', '--root', root, '--now', LATER], { env: ENV });
      expect(r.code, `${cmd.join(' ')}: ${r.stderr}`).toBe(0);
      expect(parseJson<{ dryRun: boolean }>(r.stdout).dryRun, cmd.join(' ')).toBe(true);
    }
    const planned = parseJson<{ results: { outcome: { status: string } }[] }>(
      runCli(['run', '--once', '--dry-run', '--json', '--root', root, '--now', LATER], { env: ENV }).stdout,
    );
    expect(planned.results.length).toBeGreaterThan(0);
    expect(new Set(planned.results.map((r) => r.outcome.status))).toEqual(new Set(['planned']));

    const dryAgent = new Daemon(['run', '--dry-run', '--root', root, '--now', LATER, '--log-level', 'debug'], {
      env: ENV,
    });
    cleanups.push(() => dryAgent.kill());
    await dryAgent.waitForLog('the dry-run agent started', isStarted);
    const done = await dryAgent.waitForLog('its catch-up', isCatchUpDone);
    expect(done).toMatchObject({ dryRun: true, ok: true });
    expect(dryAgent.lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('dry run: '))).toBe(true);
    dryAgent.signal('SIGTERM');
    expect(await dryAgent.waitForExit()).toEqual({ code: 0, signal: null });
    expect(dryAgent.lines.filter((l) => l.job === 'metrics')).toEqual([]);

    expect(agent.exit).toBeUndefined();
    expect(readFileSync(join(root, 'db', 'tickdb.lock'), 'utf8')).toBe(lock);
    expect(snapshot(root)).toEqual(before);
    agent.signal('SIGTERM');
    expect(await agent.waitForExit()).toEqual({ code: 0, signal: null });
  });
});
