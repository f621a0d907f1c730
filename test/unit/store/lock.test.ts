import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TickdbError } from '../../../src/errors.js';
import type { TierDirs } from '../../../src/layout/tiers.js';
import { acquireLock } from '../../../src/store/lock.js';
import { tempDir } from '../../helpers/cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
const NOW = new Date('2026-03-10T12:00:00Z');
const linux = process.platform === 'linux';

function tree(): { dirs: TierDirs; lock: string } {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const dirs = {
    root: t.dir,
    db: join(t.dir, 'db'),
    backup: join(t.dir, 'backup'),
    archive: join(t.dir, 'archive'),
    metricsFile: join(t.dir, 'm.prom'),
  };
  mkdirSync(dirs.db);
  return { dirs, lock: join(dirs.db, 'tickdb.lock') };
}

/** A live process whose command line names tickdb, as a real holder's does (returned once it has exec'd). */
async function liveTickdb(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'tickdb'], { stdio: 'ignore' });
  cleanups.push(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve());
  });
  return child;
}

function startOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

function bootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

async function lockedBy(dirs: TierDirs): Promise<TickdbError | 'taken'> {
  try {
    const lock = await acquireLock(dirs, 'test', NOW);
    await lock.release();
    return 'taken';
  } catch (err) {
    if (err instanceof TickdbError) return err;
    throw err;
  }
}

const holder = (pid: number, extra: Record<string, unknown> = {}): string =>
  `${JSON.stringify({ pid, startedAt: '2026-03-10T11:00:00.000Z', command: 'run', host: hostname(), ...extra })}\n`;

describe('tree lock: a lock being created is never taken over', () => {
  it('an unreadable lock younger than a few seconds is held; an older one is stale', async () => {
    const { dirs, lock } = tree();
    writeFileSync(lock, ''); // what an older tickdb's open-then-write left visible for a moment
    const young = await lockedBy(dirs);
    expect(young).toBeInstanceOf(TickdbError);
    expect((young as TickdbError).message).toMatch(/being written by another process/);
    expect(readFileSync(lock, 'utf8')).toBe('');
    const old = new Date(Date.now() - 10_000);
    utimesSync(lock, old, old);
    expect(await lockedBy(dirs)).toBe('taken');
  });

  it('the lock appears with its whole content: what acquireLock writes names this process, its boot and its start', async () => {
    const { dirs, lock } = tree();
    const held = await acquireLock(dirs, 'test', NOW);
    const info = JSON.parse(readFileSync(lock, 'utf8')) as Record<string, unknown>;
    expect(info).toMatchObject({
      pid: process.pid,
      command: 'test',
      host: hostname(),
      nonce: expect.any(String),
      bootTime: expect.any(Number),
    });
    if (linux) expect(info).toMatchObject({ bootId: bootId(), processStart: startOf(process.pid) });
    await held.release();
  });
});

describe.skipIf(!linux)('tree lock across reboots and pid reuse', () => {
  it('a live tickdb process that started when the lock says holds it', async () => {
    const { dirs } = tree();
    const pid = (await liveTickdb()).pid ?? 0;
    writeFileSync(join(dirs.db, 'tickdb.lock'), holder(pid, { bootId: bootId(), processStart: startOf(pid) }));
    expect(await lockedBy(dirs)).toMatchObject({
      code: 'LOCKED',
      message: expect.stringContaining(`held by pid ${pid}`),
    });
  });

  it('a lock from another boot is stale even when its pid is a live tickdb process', async () => {
    const { dirs } = tree();
    const pid = (await liveTickdb()).pid ?? 0;
    writeFileSync(join(dirs.db, 'tickdb.lock'), holder(pid, { bootId: '00000000-0000-4000-8000-000000000000' }));
    expect(await lockedBy(dirs)).toBe('taken');
  });

  it("without a boot_id, a boot time far from this boot's is another boot", async () => {
    const { dirs } = tree();
    const pid = (await liveTickdb()).pid ?? 0;
    writeFileSync(join(dirs.db, 'tickdb.lock'), holder(pid, { bootTime: Date.now() - 30 * 86_400_000 }));
    expect(await lockedBy(dirs)).toBe('taken');
  });

  it('a reused pid (a live process that started at another time than the holder) is not the holder', async () => {
    const { dirs } = tree();
    const pid = (await liveTickdb()).pid ?? 0;
    writeFileSync(
      join(dirs.db, 'tickdb.lock'),
      holder(pid, { bootId: bootId(), processStart: String(Number(startOf(pid)) - 1) }),
    );
    expect(await lockedBy(dirs)).toBe('taken');
  });

  it('a lock of an older tickdb (pid only) is judged by its pid: a live tickdb holds it, a dead pid does not', async () => {
    const { dirs, lock } = tree();
    const pid = (await liveTickdb()).pid ?? 0;
    writeFileSync(lock, holder(pid));
    expect(await lockedBy(dirs)).toMatchObject({ code: 'LOCKED' });
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    writeFileSync(lock, holder(dead.pid ?? 0));
    expect(await lockedBy(dirs)).toBe('taken');
  });
});
