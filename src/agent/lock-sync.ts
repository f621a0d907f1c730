import { readFileSync, unlinkSync } from 'node:fs';
import { lockPath, type TierDirs } from '../layout/tiers.js';
import type { LockInfo } from '../store/lock.js';

/**
 * Removes the tree lock synchronously, only if it is still the one described by `mine` (same pid and start, and
 * the same nonce when it has one): for a process that is about to end at once (second signal, stop watchdog) and
 * cannot wait for a promise.
 */
export function removeLockSync(dirs: TierDirs, mine: Pick<LockInfo, 'pid' | 'startedAt' | 'nonce'>): boolean {
  const path = lockPath(dirs);
  try {
    const held = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    if (held.pid !== mine.pid || held.startedAt !== mine.startedAt || held.nonce !== mine.nonce) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}
