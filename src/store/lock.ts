import { randomUUID } from 'node:crypto';
import { link, open, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TickdbError, errnoOf, ioError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { lockPath, type TierDirs } from '../layout/tiers.js';
import { isLiveHolder, ownHolder, parseLockInfo, type LockInfo } from './lock-holder.js';

export { isLiveHolder, type LockInfo } from './lock-holder.js';

export interface TreeLock {
  path: string;
  info: LockInfo;
  release(): Promise<void>;
}

/** A lock file that cannot be parsed is stale only once it is this old (an older tickdb wrote it in two steps). */
export const UNPARSEABLE_STALE_MS = 5_000;
const ATTEMPTS = 40;
/** Claimants of one stale lock that may die in turn before the takeover is given up for this run. */
const CLAIM_LEVELS = 8;

/** One version of a lock (or claim) file: what it says and which file it is, so that only that very file is removed. */
interface FileInstance {
  text: string;
  info: LockInfo | undefined;
  ino: number;
  mtimeMs: number;
}

async function readInstance(path: string): Promise<FileInstance | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw ioError('read lock', path, err);
  }
  try {
    const st = await handle.stat();
    const text = await handle.readFile('utf8');
    return { text, info: parseLockInfo(text), ino: st.ino, mtimeMs: st.mtimeMs };
  } finally {
    await handle.close();
  }
}

function sameInstance(a: FileInstance, b: FileInstance): boolean {
  return a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.text === b.text;
}

/** Alive, or (unparseable) young enough to be still being written. */
function stillHeld(f: FileInstance): boolean {
  return f.info !== undefined ? isLiveHolder(f.info) : Date.now() - f.mtimeMs < UNPARSEABLE_STALE_MS;
}

/**
 * Creates `path` with its whole content or not at all: the content is written and fsynced under a temporary name,
 * then hard-linked to `path`, which fails if `path` exists. A reader never sees an empty or partial lock.
 */
async function createExclusive(path: string, info: LockInfo): Promise<boolean> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${info.nonce ?? 'x'}.tmp`);
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(`${JSON.stringify(info)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(tmp, path);
    } catch (err) {
      // EEXIST: held. ENOENT: our temporary file was removed meanwhile (the holder clears lock litter): try again.
      if (errnoOf(err) === 'EEXIST' || errnoOf(err) === 'ENOENT') return false;
      throw err;
    }
    return true;
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return false;
    throw ioError('create lock', path, err, 'the db/ directory must exist and be writable by the agent');
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** The names of the claims on one version of the lock: the file's inode and a digest of its content. */
function claimPrefix(path: string, seen: FileInstance): string {
  let h = 0x811c9dc5;
  for (const ch of `${seen.text}\0${seen.mtimeMs}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return `${path}.takeover-${seen.ino}-${h.toString(16)}-`;
}

type Takeover = 'removed' | 'changed' | 'busy';

/**
 * Removes the stale lock `seen`, and only that very file. Contenders for it first create a claim named after it
 * (exclusively: one claimant per level); the claimant checks that the lock is still that file and unlinks it. Only
 * a claimant can remove that version of the lock, and no new lock can appear while it is there, so the check and
 * the unlink cannot be separated by a change. A claimant that died leaves its claim: the next level is claimed.
 */
async function takeOver(path: string, seen: FileInstance, me: LockInfo): Promise<Takeover> {
  const prefix = claimPrefix(path, seen);
  for (let level = 1; level <= CLAIM_LEVELS; level++) {
    const claim = `${prefix}${level}`;
    if (await createExclusive(claim, me)) {
      faultPoint('lock:after-claim');
      try {
        const now = await readInstance(path);
        if (now === undefined || !sameInstance(now, seen)) return 'changed';
        await unlink(path);
        return 'removed';
      } finally {
        for (let l = 1; l <= level; l++) await unlink(`${prefix}${l}`).catch(() => undefined);
      }
    }
    const claimant = await readInstance(claim);
    if (claimant === undefined) return 'changed'; // its claimant finished: the stale lock is gone
    if (stillHeld(claimant)) return 'busy';
  }
  return 'busy';
}

/**
 * Litter of processes killed while taking the lock: claims on older versions of it, and temporary lock files. Once we
 * hold the lock they serve nobody; a live contender whose temporary file goes simply tries again.
 */
async function removeOldClaims(path: string, mine: string): Promise<void> {
  const dir = dirname(path);
  const stem = `${basename(path)}.takeover-`;
  const temp = `.${basename(path)}.`; // a contender's temporary file (one killed before removing it is litter)
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names)
    if (
      (name.startsWith(stem) && !join(dir, name).startsWith(mine)) ||
      (name.startsWith(temp) && name.endsWith('.tmp'))
    )
      await unlink(join(dir, name)).catch(() => undefined);
}

export async function readLock(dirs: TierDirs): Promise<LockInfo | undefined> {
  try {
    return (await readInstance(lockPath(dirs)))?.info;
  } catch {
    return undefined;
  }
}

function lockedError(path: string, f: FileInstance): TickdbError {
  if (f.info === undefined) {
    return new TickdbError(
      'LOCKED',
      `${path} is being written by another process (unreadable and less than ${UNPARSEABLE_STALE_MS / 1000} s old)`,
      {
        path,
        hint: 'try again in a few seconds',
      },
    );
  }
  const holder = f.info;
  return new TickdbError(
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

/**
 * Takes `db/tickdb.lock` for a command that changes the tree (DESIGN: locks). The lock is created whole (written
 * under a temporary name, then linked into place). A live holder makes this fail (exit 1) naming its pid and
 * command; the lock of a dead process (or of another boot, or of an earlier process with the same pid) is taken
 * over, and only the very file judged stale is removed.
 */
export async function acquireLock(dirs: TierDirs, command: string, now: Date): Promise<TreeLock> {
  const path = lockPath(dirs);
  const info = ownHolder(command, now, randomUUID());
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await createExclusive(path, info)) {
      const mine = await readInstance(path);
      await removeOldClaims(path, mine === undefined ? '' : claimPrefix(path, mine));
      return {
        path,
        info,
        release: async () => {
          const current = await readInstance(path).catch(() => undefined);
          if (current?.info?.nonce === info.nonce) await unlink(path).catch(() => undefined);
        },
      };
    }
    const seen = await readInstance(path);
    if (seen === undefined) continue; // released meanwhile
    if (stillHeld(seen)) throw lockedError(path, seen);
    if ((await takeOver(path, seen, info)) === 'busy') {
      // Another process is taking the same stale lock over: it will hold the lock in a moment.
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
  }
  throw new TickdbError('LOCKED', `could not take ${path}: other processes kept taking it`, {
    path,
    hint: 'try again',
  });
}
