import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { promtoolCheck } from '../unit/agent/promtool.js';
import { Daemon, filesUnder, isCatchUpDone, isStarted } from './daemon-harness.js';
import { needProgram } from '../helpers/external-programs.js';

const T = '2026-03-10T13:00:00Z';
const ENV = { TICKDB_COMPRESSION_LEVEL: '3' };

/** promtool checks the metrics where it is installed; the rest of each test runs without it. */
const PROMTOOL = needProgram('promtool');

describe('tickdb run (the agent, real process)', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('catches up at start, is the only agent on its root, writes valid metrics, and stops cleanly on SIGTERM', async () => {
    const { dir: root, cleanup } = tempDir();
    cleanups.push(cleanup);
    expect(
      runCli(['simulate', '--days', '8', '--rows', '300', '--root', root, '--now', T, '--log-level', 'warn']).code,
    ).toBe(0);

    const agent = new Daemon(['run', '--root', root, '--now', T], { env: ENV });
    cleanups.push(() => agent.kill());
    await agent.waitForLog('agent started', isStarted);
    const today = join(root, 'db', '2026', '03', 'ticks_2026-03-10.db');
    const tomorrow = join(root, 'db', '2026', '03', 'ticks_2026-03-11.db');
    await agent.waitFor("today's and tomorrow's databases", () => existsSync(today) && existsSync(tomorrow));
    const done = await agent.waitForLog('catch-up finished', isCatchUpDone);
    expect(done.ok).toBe(true);
    // The 8-day-old day was sealed, backed up and compressed by the catch-up, as run --once would have.
    expect(existsSync(join(root, 'db', '2026', '03', 'ticks_2026-03-02.db.zst'))).toBe(true);
    expect(existsSync(join(root, 'db', '2026', '03', 'ticks_2026-03-02.db'))).toBe(false);

    const lock = JSON.parse(readFileSync(join(root, 'db', 'tickdb.lock'), 'utf8')) as { pid: number; command: string };
    expect(lock).toMatchObject({ pid: agent.pid, command: 'run' });

    // A second agent, and a one-shot command that changes the tree, are refused naming the holder.
    const second = runCli(['run', '--root', root, '--now', T], { env: ENV });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`pid ${agent.pid}`);
    const oneShot = runCli(['compress', '--root', root, '--now', T], { env: ENV });
    expect(oneShot.code).toBe(1);
    expect(oneShot.stderr).toContain(`pid ${agent.pid}`);
    expect(agent.exit).toBeUndefined();

    // Metrics: written after the catch-up, accepted by promtool.
    const metricsFile = join(root, 'metrics', 'tickdb.prom');
    await agent.waitFor('the metrics file', () => existsSync(metricsFile));
    const metrics = readFileSync(metricsFile, 'utf8');
    expect(metrics).toContain('tickdb_agent_up 1');
    expect(metrics).toContain('tickdb_tier_files{tier="db",dataset="ticks"} 10');
    expect(metrics).toContain('tickdb_job_last_run_ok{job="compress"} 1');
    if (PROMTOOL) {
      const check = promtoolCheck(metrics);
      expect(check.output).toBe('');
      expect(check.code).toBe(0);
    }

    // Every thread of the agent runs at nice 10 (Linux keeps a nice value per thread).
    if (process.platform === 'linux') {
      const nices = readdirSync(`/proc/${agent.pid}/task`).map((tid) => {
        const stat = readFileSync(`/proc/${agent.pid}/task/${tid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      });
      expect(new Set(nices)).toEqual(new Set([10]));
    }

    agent.signal('SIGTERM');
    const exit = await agent.waitForExit(30_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(agent.lines.some((l) => l.msg === 'agent stopped')).toBe(true);
    expect(existsSync(join(root, 'db', 'tickdb.lock'))).toBe(false);
    expect(filesUnder(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const after = readFileSync(metricsFile, 'utf8');
    expect(after).toContain('tickdb_agent_up 0');
    if (PROMTOOL) expect(promtoolCheck(after).code).toBe(0);
    expect(agent.stdout).toBe('');
  });

  it('refreshes the metrics when files are added by hand, without running a job', async () => {
    const { dir: root, cleanup } = tempDir();
    cleanups.push(cleanup);
    const agent = new Daemon(['run', '--root', root, '--now', T], { env: ENV });
    cleanups.push(() => agent.kill());
    await agent.waitForLog('catch-up finished', isCatchUpDone);
    const metricsFile = join(root, 'metrics', 'tickdb.prom');
    await agent.waitFor(
      'the metrics file',
      () =>
        existsSync(metricsFile) &&
        readFileSync(metricsFile, 'utf8').includes('tickdb_tier_files{tier="archive",dataset="ticks"} 0'),
    );
    const jobLines = (): number =>
      agent.lines.filter((l) => typeof l.msg === 'string' && l.msg.endsWith(' started') && l.job !== 'agent').length;
    const jobsBefore = jobLines();

    // An operator puts back an old day in the archive tier (here: a copy of a database, as a stand-in).
    mkdirSync(join(root, 'archive', '2025', '12'), { recursive: true });
    copyFileSync(
      join(root, 'db', '2026', '03', 'ticks_2026-03-10.db'),
      join(root, 'archive', '2025', '12', 'ticks_2025-12-01.db'),
    );
    await agent.waitFor(
      'the metrics to count the new archive file',
      () => readFileSync(metricsFile, 'utf8').includes('tickdb_tier_files{tier="archive",dataset="ticks"} 1'),
      30_000,
    );
    expect(jobLines()).toBe(jobsBefore);

    agent.signal('SIGINT');
    expect(await agent.waitForExit(30_000)).toEqual({ code: 0, signal: null });
  });

  it('uses ./data/ticks under the working directory when no root is given (what npm start runs)', async () => {
    const { dir: cwd, cleanup } = tempDir();
    cleanups.push(cleanup);
    const agent = new Daemon(['run', '--now', T], { env: ENV, cwd });
    cleanups.push(() => agent.kill());
    const today = join(cwd, 'data', 'ticks', 'db', '2026', '03', 'ticks_2026-03-10.db');
    await agent.waitFor(
      "today's database under ./data/ticks",
      () => existsSync(today) || (agent.exit !== undefined ? 'exited' : undefined),
    );
    expect(agent.exit).toBeUndefined();
    await agent.waitForLog('catch-up finished', isCatchUpDone);
    await agent.waitFor('the metrics file under ./data/ticks', () =>
      existsSync(join(cwd, 'data', 'ticks', 'metrics', 'tickdb.prom')),
    );
    agent.signal('SIGTERM');
    expect(await agent.waitForExit(30_000)).toEqual({ code: 0, signal: null });
    expect(existsSync(join(cwd, 'data', 'ticks', 'db', 'tickdb.lock'))).toBe(false);
  });

  it('run --once writes the metrics file too and keeps its exit codes', async () => {
    const { dir: root, cleanup } = tempDir();
    cleanups.push(cleanup);
    expect(
      runCli(['simulate', '--days', '3', '--rows', '200', '--root', root, '--now', T, '--log-level', 'warn']).code,
    ).toBe(0);
    const once = runCli(['run', '--once', '--root', root, '--now', T, '--log-level', 'warn'], { env: ENV });
    expect(once.code).toBe(0);
    const metrics = readFileSync(join(root, 'metrics', 'tickdb.prom'), 'utf8');
    expect(metrics).toContain('tickdb_agent_up 0');
    expect(metrics).toContain('tickdb_day_states{dataset="ticks",state="sealed"} 3');
    if (PROMTOOL) expect(promtoolCheck(metrics).code).toBe(0);
    const dry = runCli(
      ['run', '--once', '--dry-run', '--root', root, '--now', '2026-03-20T13:00:00Z', '--log-level', 'warn'],
      { env: ENV },
    );
    expect(dry.code).toBe(0);
    expect(readFileSync(join(root, 'metrics', 'tickdb.prom'), 'utf8')).toBe(metrics);
    expect(runCli(['run', '--force', '--root', root], { env: ENV }).code).toBe(2);
  });
});
