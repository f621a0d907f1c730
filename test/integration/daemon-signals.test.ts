import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, tempDir } from '../helpers/cli.js';
import { runnableClock } from '../helpers/runnable-time.js';
import { Daemon, filesUnder, isCatchUpDone, isStarted, type LogLine } from './daemon-harness.js';

const T = '2026-03-10T13:00:00Z';

/** The compress step of the catch-up is next once tomorrow's database has been pre-created (rotate's last step). */
const rotateDone = (l: LogLine): boolean => l.step === 'precreate' && l.day === 'ticks/2026-03-11';

describe('tickdb run: signals (real process)', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  let template: { dir: string; cleanup: () => void };

  beforeAll(() => {
    // Seven days of ~5 MB: the 7-day-old one is compressed by the catch-up, at level 19 in 1-4 MiB frames, which
    // takes long enough for a signal to arrive while it runs.
    template = tempDir();
    const r = runCli([
      'simulate',
      '--days',
      '7',
      '--rows',
      '60000',
      '--root',
      template.dir,
      '--now',
      T,
      '--log-level',
      'warn',
    ]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => template.cleanup());
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  function copyOfTemplate(): string {
    const t = tempDir();
    cleanups.push(t.cleanup);
    cpSync(template.dir, t.dir, { recursive: true });
    return t.dir;
  }

  function expectResumable(root: string): void {
    expect(existsSync(join(root, 'db', 'tickdb.lock'))).toBe(false);
    const once = runCli(['run', '--once', '--root', root, '--now', T, '--json'], {
      env: { TICKDB_COMPRESSION_LEVEL: '3' },
    });
    expect(once.code, once.stdout + once.stderr).toBe(0);
    expect(existsSync(join(root, 'db', '2026', '03', 'ticks_2026-03-03.db.zst'))).toBe(true);
    expect(existsSync(join(root, 'db', '2026', '03', 'ticks_2026-03-03.db'))).toBe(false);
    expect(filesUnder(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const inv = parseJson<{ day: string; tier: string; state: string }[]>(
      runCli(['inventory', '--json', '--root', root, '--now', T]).stdout,
    );
    expect(inv.find((e) => e.day === '2026-03-03' && e.tier === 'db')?.state).toBe('compressed');
  }

  it('SIGTERM during a compression: aborts it at a frame boundary, writes state, releases the lock, exits 0', async () => {
    const root = copyOfTemplate();
    const agent = new Daemon(['run', '--root', root, '--now', T], { env: { TICKDB_FRAME_SIZE_MIB: '1' } });
    cleanups.push(() => agent.kill());
    await agent.waitForLog('rotate to finish', rotateDone);
    const sinceSent = runnableClock(agent.pid);
    agent.signal('SIGTERM');
    const exit = await agent.waitForExit(30_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(sinceSent()).toBeLessThan(30_000);
    const finished = agent.lines.find(isCatchUpDone);
    expect(finished).toMatchObject({ interrupted: true });
    expect(agent.lines.some((l) => l.msg === 'agent stopped')).toBe(true);
    expect(filesUnder(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // The interrupted day is still a sealed .db, and the next run completes the work.
    expect(existsSync(join(root, 'db', '2026', '03', 'ticks_2026-03-03.db'))).toBe(true);
    expectResumable(root);
  });

  it('a second SIGTERM while stopping exits at once, removing the lock; the next run completes the work', async () => {
    const root = copyOfTemplate();
    const agent = new Daemon(['run', '--root', root, '--now', T], { env: { TICKDB_FRAME_SIZE_MIB: '4' } });
    cleanups.push(() => agent.kill());
    await agent.waitForLog('rotate to finish', rotateDone);
    agent.signal('SIGTERM');
    await agent.waitForLog('the graceful stop to begin', (l) => l.msg === 'stopping');
    agent.signal('SIGTERM');
    const sinceSent = runnableClock(agent.pid);
    const exit = await agent.waitForExit(10_000);
    // Not held up by the native compression under way (time waiting for a CPU at nice 10 not counted).
    expect(sinceSent()).toBeLessThan(3_000);
    // Normally the 4 MiB frame under way is still compressing: the process ends by SIGTERM itself, at once, state
    // not written (as an unhandled SIGTERM would). Should the graceful stop have won the race meanwhile, it is a
    // clean exit 0. Either way the lock is gone, and the next run finds a consistent tree.
    if (exit.signal !== null) {
      expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
      expect(agent.lines.some((l) => l.msg === 'second SIGTERM: exiting at once')).toBe(true);
    } else {
      expect(exit).toEqual({ code: 0, signal: null });
    }
    expectResumable(root);
  });

  it('SIGHUP re-reads the config: an invalid one is logged and the agent runs on; a valid one is applied', async () => {
    const { dir: root, cleanup } = tempDir();
    cleanups.push(cleanup);
    const config = join(root, 'tickdb.json');
    writeFileSync(config, '{}\n');
    const agent = new Daemon(['run', '--root', root, '--config', config, '--now', T], {
      env: { TICKDB_COMPRESSION_LEVEL: '3' },
    });
    cleanups.push(() => agent.kill());
    const started = await agent.waitForLog('agent started', isStarted);
    expect(started.nextRuns).toMatchObject({
      compress: '2026-03-11T02:00:00.000Z',
      rotate: '2026-03-11T00:15:00.000Z',
    });
    await agent.waitForLog('catch-up finished', isCatchUpDone);

    writeFileSync(config, '{ "compressAfterDays": 5, \n');
    agent.signal('SIGHUP');
    const bad = await agent.waitForLog('the reload error', (l) => l.job === 'reload' && l.level === 50);
    expect(bad.msg).toMatch(/keeping the running configuration/);
    expect(bad.msg).toContain('not valid JSON');

    writeFileSync(config, JSON.stringify({ schedules: { compress: 'at noon' } }));
    agent.signal('SIGHUP');
    const bad2 = await agent.waitForNth('the second reload error', 2, (l) => l.job === 'reload' && l.level === 50);
    expect(bad2.msg).toContain('schedules.compress');
    expect(agent.exit).toBeUndefined();

    writeFileSync(
      config,
      JSON.stringify({ schedules: { compress: '0 14 * * *', status: '*/30 * * * *' }, compressAfterDays: 5 }),
    );
    agent.signal('SIGHUP');
    const ok = await agent.waitForLog('the reload', (l) => l.job === 'reload' && l.msg === 'configuration reloaded');
    expect(ok.schedules).toMatchObject({ compress: '0 14 * * *', status: '*/30 * * * *' });
    expect(ok.nextRuns).toMatchObject({ compress: '2026-03-10T14:00:00.000Z', status: '2026-03-10T13:30:00.000Z' });
    expect(agent.exit).toBeUndefined();

    agent.signal('SIGTERM');
    expect(await agent.waitForExit(30_000)).toEqual({ code: 0, signal: null });
  });
});
