import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BusyRetry } from '../../../src/agent/busy-retry.js';
import { Agent } from '../../../src/agent/daemon.js';
import { loadConfig } from '../../../src/config/load.js';
import { checkBusyDays } from '../../../src/inspect/status/day-checks.js';
import { dayPath, metadataPath, tierDirs } from '../../../src/layout/tiers.js';
import { readMetadata } from '../../../src/store/metadata.js';
import { tempDir } from '../../helpers/cli.js';
import { FakeTime } from './fake-time.js';

interface LogLine {
  level: number;
  msg: string;
  job?: string;
  [k: string]: unknown;
}

/**
 * Issue 15 item 5: with graceMinutes 0 the seal at 00:00:00 can find yesterday still open by the writer (busy); the
 * agent retries it after 30 s, doubling up to 15 min, instead of waiting for the next daily slot. Real SQLite: the
 * writer is a connection of this process that keeps the day's database open; the clock and timers are fake.
 */
describe('Agent: a day still held at the rotate slot', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('is retried after 30 s, doubling up to 15 min, and sealed soon after the writer lets go', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const time = new FakeTime('2026-03-10T23:59:00Z');
    const lines: LogLine[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
    const config = loadConfig({ flags: { root: tmp.dir }, env: { TICKDB_GRACE_MINUTES: '0' } }).config;
    const dirs = tierDirs({ root: config.root });
    const agent = new Agent(
      { config, dirs, clock: time.clock, logger },
      {
        reloadConfig: () => config,
        currentHolds: () => [],
        timers: time.timerApi,
        monotonicMs: time.monotonic,
        watch: false,
      },
    );
    cleanups.push(() => agent.stop());
    await agent.start();
    await agent.idle();

    // The trading engine writes 03-10 and has not closed it when the day ends.
    const path = dayPath(dirs, 'db', 'ticks', '2026-03-10', 'db');
    const writer = new Database(path);
    cleanups.push(() => {
      if (writer.open) writer.close();
    });
    writer.pragma('journal_mode = WAL');
    writer.prepare('INSERT INTO ticks (ts, symbol, bid, ask) VALUES (?, ?, ?, ?)').run(1, 'AAPL', 1.5, 1.6);

    time.advanceTo('2026-03-11T00:00:00Z'); // the rotate slot, no grace
    await agent.idle();
    const record = () => JSON.parse(readFileSync(metadataPath(dirs), 'utf8')).days['ticks/2026-03-10'];
    const busySince = record().busySince as string;
    expect(busySince).toBe('2026-03-11T00:00:00.000Z');

    const retries = (): number[] =>
      lines.filter((l) => l.job === 'rotate' && typeof l.retryInMs === 'number').map((l) => l.retryInMs as number);
    for (let n = 1; n <= 2; n++) {
      expect(retries(), `retry ${n} was not scheduled`).toHaveLength(n);
      time.advance(retries()[n - 1] ?? 0);
      await agent.idle();
    }
    expect(retries()).toEqual([30_000, 60_000, 120_000]);
    expect(record()).toMatchObject({ state: 'live', busySince }); // still held: the first refusal's time is kept

    // status warns as soon as the day is overdue, and goes on warning while it stays held.
    const metadata = await readMetadata(dirs, time.clock.now());
    const check = checkBusyDays({ now: time.clock.now(), config, dirs, metadata });
    expect(check.results[0]).toMatchObject({ name: 'busy', status: 'WARNING', day: '2026-03-10' });

    writer.close(); // the writer moves on
    const before = retries().length;
    time.advance(retries()[before - 1] ?? 0);
    await agent.idle();
    expect(record()).toMatchObject({ state: 'sealed', rows: 1 });
    expect(record().busySince).toBeUndefined();
    expect(retries()).toHaveLength(before); // nothing held: no more retries
    expect(time.clock.now().toISOString()).toBe('2026-03-11T00:03:30.000Z'); // not at the next daily slot
    expect(agent.nextRuns().rotate).toBe('2026-03-12T00:00:00.000Z');
  });

  it('waits 30 s, then twice as long each time up to 15 min, one retry at a time, and starts over once none is busy', () => {
    const time = new FakeTime('2026-03-11T00:00:00Z');
    let retried = 0;
    const retry = new BusyRetry({ timers: time.timerApi, retry: () => retried++ });
    const waits: (number | undefined)[] = [];
    for (let n = 0; n < 8; n++) {
      waits.push(retry.record(1));
      expect(retry.record(2)).toBeUndefined(); // a slot's pass while a retry waits: still one retry
      time.advance(waits[n] ?? 0);
      expect(retried).toBe(n + 1);
    }
    expect(waits).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000]);
    expect(retry.record(0)).toBeUndefined();
    expect(retry.record(1)).toBe(30_000);
    retry.cancel();
    expect(time.pendingTimers).toBe(0);
  });
});
