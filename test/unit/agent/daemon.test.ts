import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { Agent, type AgentOptions } from '../../../src/agent/daemon.js';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { dayPath, lockPath, metadataPath, tierDirs } from '../../../src/layout/tiers.js';
import { tempDir } from '../../helpers/cli.js';
import { FakeTime } from './fake-time.js';

interface LogLine {
  level: number;
  msg: string;
  job?: string;
  [k: string]: unknown;
}

function setup(
  start: string,
  env: Record<string, string> = {},
  extra: Partial<AgentOptions> = {},
  existing?: ReturnType<typeof tempDir>,
) {
  const tmp = existing ?? tempDir();
  const time = new FakeTime(start);
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (s: string) => {
        lines.push(JSON.parse(s) as LogLine);
      },
    },
  );
  let reloadWith: () => Config = () => config;
  const config = loadConfig({ flags: { root: tmp.dir }, env: { TICKDB_COMPRESSION_LEVEL: '3', ...env } }).config;
  const dirs = tierDirs({ root: config.root });
  const agent = new Agent(
    { config, dirs, clock: time.clock, logger },
    {
      reloadConfig: () => reloadWith(),
      currentHolds: () => config.legalHolds,
      timers: time.timerApi,
      monotonicMs: time.monotonic,
      watch: false,
      ...extra,
    },
  );
  const metrics = (): string => readFileSync(dirs.metricsFile, 'utf8');
  return {
    tmp,
    time,
    lines,
    config,
    dirs,
    agent,
    metrics,
    setReload: (fn: () => Config) => {
      reloadWith = fn;
    },
  };
}

describe('Agent (in process, fake clock)', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('takes the lock, catches up at start (today and tomorrow exist), writes metrics, and releases on stop', async () => {
    const t = setup('2026-03-10T13:00:00Z');
    cleanups.push(t.tmp.cleanup, () => t.agent.stop());
    await t.agent.start();
    expect(JSON.parse(readFileSync(lockPath(t.dirs), 'utf8'))).toMatchObject({ pid: process.pid, command: 'run' });
    await t.agent.idle();
    expect(existsSync(dayPath(t.dirs, 'db', 'ticks', '2026-03-10', 'db'))).toBe(true);
    expect(existsSync(dayPath(t.dirs, 'db', 'ticks', '2026-03-11', 'db'))).toBe(true);
    expect(t.metrics()).toContain('tickdb_agent_up 1');
    expect(t.lines.some((l) => l.msg === 'catch-up finished' && l.ok === true)).toBe(true);
    await t.agent.stop('test');
    expect(existsSync(lockPath(t.dirs))).toBe(false);
    expect(t.metrics()).toContain('tickdb_agent_up 0');
    expect(t.time.pendingTimers).toBe(0);
  });

  it('rewrites the metrics at the hourly status slot, and does nothing else then', async () => {
    const t = setup('2026-03-10T13:00:00Z');
    cleanups.push(t.tmp.cleanup, () => t.agent.stop());
    await t.agent.start();
    await t.agent.idle();
    expect(t.metrics()).not.toContain('tickdb_metrics_timestamp_seconds 1773151200');
    const linesBefore = t.lines.filter((l) => / started$/.test(l.msg)).length;
    t.time.advanceTo('2026-03-10T14:00:00Z');
    await t.agent.idle();
    expect(t.metrics()).toContain('tickdb_metrics_timestamp_seconds 1773151200');
    expect(t.lines.filter((l) => / started$/.test(l.msg)).length).toBe(linesBefore);
  });

  it("samples today's WAL at start and every 5 minutes, and runs the restore drill at its slot", async () => {
    const t = setup('2026-03-10T13:00:00Z', { TICKDB_SCHEDULES_DRILL: '0 5 * * *' });
    cleanups.push(t.tmp.cleanup, () => t.agent.stop());
    await t.agent.start();
    await t.agent.idle();
    const samples = (): { at: string; day: string }[] =>
      (
        JSON.parse(readFileSync(join(t.dirs.db, 'wal_samples.json'), 'utf8')) as {
          samples: { at: string; day: string }[];
        }
      ).samples;
    expect(samples().map((s) => s.day)).toEqual(['2026-03-10']);
    t.time.advanceTo('2026-03-10T13:05:00Z');
    await t.agent.idle();
    expect(samples().map((s) => s.at.slice(11, 16))).toEqual(['13:00', '13:05']);

    t.time.advanceTo('2026-03-11T00:15:00Z'); // rotate: 2026-03-10 sealed and backed up
    await t.agent.idle();
    expect(t.metrics()).not.toContain('tickdb_drill_last_run_ok');
    t.time.advanceTo('2026-03-11T05:00:00Z');
    await t.agent.idle();
    const drill = t.lines.find((l) => l.job === 'drill' && /^drill (finished|failed)/.test(l.msg));
    expect(drill).toMatchObject({ msg: 'drill finished', ok: true, days: 1 });
    const copies = t.lines.filter((l) => l.job === 'drill' && l.day === 'ticks/2026-03-10').map((l) => l.tier);
    expect(copies.sort()).toEqual(['backup', 'db']);
    expect(t.metrics()).toContain('tickdb_drill_last_run_ok 1');
    expect(t.metrics()).toMatch(/^tickdb_drill_last_success_timestamp_seconds \d+$/m);
  });

  it('exports the days due to the lake at start when the export slot passed while it was down', async () => {
    const lakeDir = tempDir('tickdb-lake-');
    const env = { TICKDB_EXPORT_DIR: lakeDir.dir };
    const first = setup('2026-03-10T13:00:00Z', env);
    cleanups.push(first.tmp.cleanup, lakeDir.cleanup, () => first.agent.stop());
    await first.agent.start();
    await first.agent.idle();
    const db = new Database(dayPath(first.dirs, 'db', 'ticks', '2026-03-10', 'db'));
    const insert = db.prepare(
      'INSERT INTO ticks (ts, symbol, bid, ask, bid_size, ask_size, last, volume) VALUES (?, ?, 1.5, 1.6, 10, 20, 1.55, ?)',
    );
    const midday = BigInt(Date.parse('2026-03-10T12:00:00Z')) * 1_000_000n;
    for (let i = 0; i < 50; i++) insert.run(midday + BigInt(i), i % 2 === 0 ? 'AAPL' : 'MSFT', i);
    db.close();
    first.time.advanceTo('2026-03-11T00:15:00Z'); // rotate: 2026-03-10 sealed
    await first.agent.idle();
    await first.agent.stop('test');
    const part = join(lakeDir.dir, 'dataset=ticks', 'date=2026-03-10', 'part-0.parquet');
    expect(existsSync(part)).toBe(false);

    // Down through the 03:00 export slot; started again at noon, it exports the day without waiting for tomorrow.
    const second = setup('2026-03-11T12:00:00Z', env, {}, first.tmp);
    cleanups.push(() => second.agent.stop());
    await second.agent.start();
    await second.agent.idle();
    expect(existsSync(part)).toBe(true);
    const finished = second.lines.find((l) => l.job === 'export' && l.msg === 'export finished');
    expect(finished).toMatchObject({ reason: 'start', counts: { exported: 1 } });
  });

  it('logs a failing job, counts it in the metrics, keeps running, and retries at the next slot', async () => {
    const t = setup('2026-03-10T23:00:00Z');
    cleanups.push(t.tmp.cleanup, () => t.agent.stop());
    mkdirSync(metadataPath(t.dirs), { recursive: true }); // metadata that cannot be read: every job fails
    await t.agent.start();
    await t.agent.idle();
    expect(t.lines.some((l) => l.level === 50 && l.job === 'catch-up' && /failed/.test(l.msg))).toBe(true);
    expect(t.metrics()).toContain('tickdb_job_consecutive_failures{job="rotate"} 1');
    expect(t.metrics()).toContain('tickdb_agent_up 1');
    expect(t.metrics()).toContain('tickdb_metadata_ok 0');

    rmSync(metadataPath(t.dirs), { recursive: true });
    t.time.advanceTo('2026-03-11T00:15:00Z'); // the rotate slot: midnight + 15 min grace
    await t.agent.idle();
    expect(t.lines.some((l) => l.msg === 'rotate finished' && l.ok === true)).toBe(true);
    expect(existsSync(dayPath(t.dirs, 'db', 'ticks', '2026-03-12', 'db'))).toBe(true);
    expect(t.metrics()).toContain('tickdb_job_consecutive_failures{job="rotate"} 0');
    expect(t.metrics()).toContain('tickdb_job_consecutive_failures{job="compress"} 1'); // its slot has not come yet
    expect(t.metrics()).toContain('tickdb_job_last_run_ok{job="rotate"} 1');
    expect(t.metrics()).toContain('tickdb_metadata_ok 1');
  });

  it('catches up after the host slept through its slots', async () => {
    const t = setup('2026-03-10T13:00:00Z');
    cleanups.push(t.tmp.cleanup, () => t.agent.stop());
    await t.agent.start();
    await t.agent.idle();
    t.time.suspend(10 * 86_400_000);
    t.time.advance(30_000);
    await t.agent.idle();
    expect(t.lines.some((l) => l.job === 'agent' && /clock jumped/.test(l.msg))).toBe(true);
    expect(t.lines.filter((l) => l.msg === 'catch-up finished')).toHaveLength(2);
    expect(existsSync(dayPath(t.dirs, 'db', 'ticks', '2026-03-21', 'db'))).toBe(true);
    // The day that was today at start is now 10 days old: sealed and compressed by the catch-up.
    expect(existsSync(dayPath(t.dirs, 'db', 'ticks', '2026-03-10', 'db'))).toBe(false);
    expect(existsSync(dayPath(t.dirs, 'db', 'ticks', '2026-03-10', 'zst'))).toBe(true);
  });

  it('as a dry run takes no lock and creates nothing, and stays a dry run when a reload turns it off', async () => {
    const t = setup('2026-03-10T13:00:00Z', { TICKDB_DRY_RUN: 'true' });
    cleanups.push(t.tmp.cleanup, () => t.agent.stop());
    await t.agent.start();
    await t.agent.idle();
    expect(t.lines.some((l) => l.msg === 'catch-up finished' && l.dryRun === true)).toBe(true);
    expect(existsSync(t.dirs.db)).toBe(false);
    t.setReload(() => ({ ...t.config, dryRun: false }));
    t.agent.reload();
    expect(t.lines.some((l) => l.job === 'reload' && /stays one until a restart/.test(l.msg))).toBe(true);
    t.time.advanceTo('2026-03-11T00:15:00Z'); // the rotate slot
    await t.agent.idle();
    expect(t.lines.some((l) => l.msg === 'rotate finished' && l.dryRun === true)).toBe(true);
    expect(existsSync(t.dirs.db)).toBe(false);
    expect(existsSync(t.dirs.metricsFile)).toBe(false);
  });

  it('on reload keeps the running configuration when the new one is invalid, and applies a valid one', async () => {
    const t = setup('2026-03-10T13:00:00Z');
    cleanups.push(t.tmp.cleanup, () => t.agent.stop());
    await t.agent.start();
    await t.agent.idle();
    t.setReload(() => loadConfig({ flags: { root: t.tmp.dir }, env: { TICKDB_COMPRESS_AFTER_DAYS: 'soon' } }).config);
    t.agent.reload();
    expect(
      t.lines.some((l) => l.level === 50 && l.job === 'reload' && /keeping the running configuration/.test(l.msg)),
    ).toBe(true);
    expect(t.agent.nextRuns().compress).toBe('2026-03-11T02:00:00.000Z');

    t.setReload(() => ({
      ...t.config,
      schedules: { ...t.config.schedules, compress: '0 14 * * *' },
      root: '/elsewhere',
    }));
    t.agent.reload();
    expect(t.lines.some((l) => l.job === 'reload' && l.msg === 'configuration reloaded')).toBe(true);
    expect(t.lines.some((l) => l.job === 'reload' && /cannot change while the agent runs/.test(l.msg))).toBe(true);
    expect(t.agent.nextRuns().compress).toBe('2026-03-10T14:00:00.000Z');
    t.time.advanceTo('2026-03-10T14:00:01Z');
    await t.agent.idle();
    expect(t.lines.some((l) => l.msg === 'compress finished')).toBe(true);
    expect(existsSync(t.dirs.metricsFile)).toBe(true); // still the old root
  });

  it('refuses to start while another live process holds the lock, and leaves nothing behind', async () => {
    const a = setup('2026-03-10T13:00:00Z');
    cleanups.push(a.tmp.cleanup, () => a.agent.stop());
    await a.agent.start();
    const b = new Agent(
      { config: a.config, dirs: a.dirs, clock: a.time.clock, logger: pino({ level: 'silent' }) },
      {
        reloadConfig: () => a.config,
        currentHolds: () => [],
        timers: a.time.timerApi,
        monotonicMs: a.time.monotonic,
        watch: false,
      },
    );
    // Same pid in one process counts as live, as a second agent in another process would.
    await expect(b.start()).rejects.toMatchObject({
      code: 'LOCKED',
      message: expect.stringContaining(`pid ${process.pid}`),
    });
    await a.agent.idle();
    await a.agent.stop();
  });

  it('SIGTERM stops gracefully; a second one while stopping ends the process by the signal, lock removed', async () => {
    const signals = new EventEmitter();
    const killed: string[] = [];
    const exited: number[] = [];
    const t = setup('2026-03-10T13:00:00Z', {}, { signals, kill: (s) => killed.push(s), exit: (c) => exited.push(c) });
    cleanups.push(t.tmp.cleanup, () => t.agent.stop());
    await t.agent.start();
    expect(signals.listenerCount('SIGTERM')).toBe(1);
    signals.emit('SIGTERM', 'SIGTERM'); // the catch-up is under way
    signals.emit('SIGTERM', 'SIGTERM');
    expect(killed).toEqual(['SIGTERM']);
    expect(exited).toEqual([]);
    expect(existsSync(lockPath(t.dirs))).toBe(false);
    expect(signals.listenerCount('SIGTERM')).toBe(0); // so that the re-raised signal ends the process
    expect(t.lines.some((l) => l.msg === 'second SIGTERM: exiting at once' && l.stateWritten === false)).toBe(true);
    await t.agent.stopped; // (here the process lives on: the graceful stop completes)
  });

  it('the stop watchdog ends a stop that takes too long', async () => {
    const signals = new EventEmitter();
    const killed: string[] = [];
    const t = setup(
      '2026-03-10T13:00:00Z',
      {},
      { signals, kill: (s) => killed.push(s), exit: () => undefined, stopTimeoutMs: 1 },
    );
    cleanups.push(t.tmp.cleanup, () => t.agent.stop());
    await t.agent.start();
    signals.emit('SIGINT', 'SIGINT'); // the catch-up is under way: the stop waits for it longer than 1 ms
    await t.agent.stopped;
    expect(killed).toEqual(['SIGTERM']);
    expect(t.lines.some((l) => l.msg === 'did not stop within 0.001 s')).toBe(true);
  });

  it('SIGHUP reloads the configuration', async () => {
    const signals = new EventEmitter();
    const t = setup('2026-03-10T13:00:00Z', {}, { signals });
    cleanups.push(t.tmp.cleanup, () => t.agent.stop());
    await t.agent.start();
    await t.agent.idle();
    t.setReload(() => ({ ...t.config, schedules: { ...t.config.schedules, purge: '0 3 * * *' } }));
    signals.emit('SIGHUP', 'SIGHUP');
    expect(t.agent.nextRuns().purge).toBe('2026-03-11T03:00:00.000Z');
    await t.agent.stop();
    expect(signals.listenerCount('SIGHUP')).toBe(0);
  });
});
