import { readFileSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { TickdbError, errnoOf, ioError } from '../errors.js';
import { lockPath, type TierDirs } from '../layout/tiers.js';

export interface LockInfo {
  pid: number;
  startedAt: string;
  command: string;
  host: string;
}

export interface TreeLock {
  path: string;
  info: LockInfo;
  release(): Promise<void>;
}

/** True when `pid` is a running tickdb process on this host (a reused pid of another program is not). */
export function isLiveHolder(info: LockInfo): boolean {
  if (info.host !== hostname()) return true; // cannot tell: another host holding a shared root is assumed alive
  if (info.pid === process.pid) return true;
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    if (errnoOf(err) !== 'EPERM') return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${info.pid}/cmdline`, 'utf8');
    return cmdline.includes('tickdb');
  } catch {
    return true; // no /proc (Windows, macOS): trust the pid
  }
}

export async function readLock(dirs: TierDirs): Promise<LockInfo | undefined> {
  try {
    const parsed = JSON.parse(await readFile(lockPath(dirs), 'utf8')) as Partial<LockInfo>;
    if (typeof parsed.pid !== 'number') return undefined;
    return {
      pid: parsed.pid,
      startedAt: String(parsed.startedAt ?? ''),
      command: String(parsed.command ?? ''),
      host: String(parsed.host ?? hostname()),
    };
  } catch {
    return undefined;
  }
}

async function tryCreate(path: string, info: LockInfo): Promise<boolean> {
  try {
    const handle = await open(path, 'wx', 0o644);
    try {
      await handle.writeFile(`${JSON.stringify(info)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return false;
    throw ioError('create lock', path, err, 'the db/ directory must exist and be writable by the agent');
  }
}

/**
 * Takes `db/tickdb.lock` for a command that changes the tree. A live holder makes this fail (exit 1) naming its
 * pid and command; the lock of a dead process is taken over.
 */
export async function acquireLock(dirs: TierDirs, command: string, now: Date): Promise<TreeLock> {
  const path = lockPath(dirs);
  const info: LockInfo = { pid: process.pid, startedAt: now.toISOString(), command, host: hostname() };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryCreate(path, info)) {
      return {
        path,
        info,
        release: async () => {
          const current = await readLock(dirs);
          if (current?.pid === info.pid && current.startedAt === info.startedAt)
            await unlink(path).catch(() => undefined);
        },
      };
    }
    const holder = await readLock(dirs);
    if (holder !== undefined && isLiveHolder(holder)) {
      throw new TickdbError(
        'LOCKED',
        `${path} is held by pid ${holder.pid} (${holder.command}, since ${holder.startedAt})`,
        {
          path,
          hint:
            holder.command === 'run'
              ? 'the agent is running; stop it or let it do the work'
              : 'wait for that command to finish',
        },
      );
    }
    // Stale (dead holder or torn file): move it aside atomically so two contenders cannot both take it over.
    await rename(path, `${path}.stale-${process.pid}`).then(
      () => unlink(`${path}.stale-${process.pid}`).catch(() => undefined),
      () => undefined,
    );
  }
  throw new TickdbError('LOCKED', `could not take ${path}: another process keeps taking it`, { path });
}
