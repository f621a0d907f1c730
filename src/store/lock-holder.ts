import { readFileSync } from 'node:fs';
import { hostname, uptime } from 'node:os';
import { errnoOf } from '../errors.js';

/** What `db/tickdb.lock` records about the process holding the tree. */
export interface LockInfo {
  pid: number;
  startedAt: string;
  command: string;
  host: string;
  /** Linux: /proc/sys/kernel/random/boot_id. A lock from another boot is stale whatever its pid. */
  bootId?: string;
  /** ms since the epoch at boot (now - uptime): where there is no boot_id; compared with BOOT_TOLERANCE_MS. */
  bootTime?: number;
  /** Linux: the holder's start time in clock ticks after boot (/proc/PID/stat field 22). Another start: another process. */
  processStart?: string;
  /** Random, unique to this lock: tells this lock from any later one with the same pid and start. */
  nonce?: string;
}

/** Boot times computed as now - uptime drift with clock adjustments; a reboot moves them by far more. */
export const BOOT_TOLERANCE_MS = 60_000;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export interface BootIdentity {
  bootId?: string;
  bootTime: number;
}

export function currentBoot(): BootIdentity {
  const bootId = readText('/proc/sys/kernel/random/boot_id')?.trim();
  const bootTime = Math.round(Date.now() - uptime() * 1000);
  return bootId === undefined || bootId === '' ? { bootTime } : { bootId, bootTime };
}

/**
 * The start time of process `pid` in clock ticks after boot (Linux `/proc/PID/stat` field 22), or undefined where
 * it cannot be read (no such process, no /proc). The name in field 2 may hold spaces and parentheses: the fields
 * are counted from the last `)`.
 */
export function processStartOf(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = fields[19]; // field 22; fields[0] is field 3 (state)
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

/** The identity this process writes into a lock it takes. */
export function ownHolder(command: string, now: Date, nonce: string): LockInfo {
  const boot = currentBoot();
  const start = processStartOf(process.pid);
  return {
    pid: process.pid,
    startedAt: now.toISOString(),
    command,
    host: hostname(),
    ...(boot.bootId !== undefined ? { bootId: boot.bootId } : {}),
    bootTime: boot.bootTime,
    ...(start !== undefined ? { processStart: start } : {}),
    nonce,
  };
}

/**
 * True while the process a lock names is running (DESIGN: locks). Another host's lock is assumed alive (a shared
 * root cannot be judged from here). A lock from another boot is stale (pids restart at each boot). When the lock
 * records the holder's start time and the pid's start time can be read, they must be equal (a reused pid is another
 * process). A lock without these fields (an older tickdb) is judged by its pid alone: alive, and on Linux a process
 * whose command line names tickdb.
 */
export function isLiveHolder(info: LockInfo): boolean {
  if (info.host !== hostname()) return true;
  const boot = currentBoot();
  if (info.bootId !== undefined && boot.bootId !== undefined) {
    if (info.bootId !== boot.bootId) return false;
  } else if (info.bootTime !== undefined && Math.abs(info.bootTime - boot.bootTime) > BOOT_TOLERANCE_MS) {
    return false;
  }
  if (info.processStart !== undefined) {
    const start = processStartOf(info.pid);
    if (start !== undefined) return start === info.processStart;
  }
  if (info.pid === process.pid) return true;
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    if (errnoOf(err) !== 'EPERM') return false;
  }
  if (info.processStart !== undefined) return true; // alive, start time unreadable here: trust the pid
  const cmdline = readText(`/proc/${info.pid}/cmdline`);
  return cmdline === undefined ? true : cmdline.includes('tickdb'); // no /proc (Windows, macOS): trust the pid
}

/** Parses a lock file's text; undefined when it is not a lock (empty, torn, not JSON, no pid). */
export function parseLockInfo(text: string): LockInfo | undefined {
  let parsed: Partial<LockInfo>;
  try {
    parsed = JSON.parse(text) as Partial<LockInfo>;
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.pid !== 'number') return undefined;
  return {
    pid: parsed.pid,
    startedAt: String(parsed.startedAt ?? ''),
    command: String(parsed.command ?? ''),
    host: String(parsed.host ?? hostname()),
    ...(typeof parsed.bootId === 'string' ? { bootId: parsed.bootId } : {}),
    ...(typeof parsed.bootTime === 'number' ? { bootTime: parsed.bootTime } : {}),
    ...(typeof parsed.processStart === 'string' ? { processStart: parsed.processStart } : {}),
    ...(typeof parsed.nonce === 'string' ? { nonce: parsed.nonce } : {}),
  };
}
