import { rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ioError } from '../errors.js';
import { fsyncDir } from '../fs/fsync-dir.js';
import { removeDurably } from '../fs/copy-verified.js';
import type { DayRecord } from '../store/metadata-types.js';
import type { ExecContext } from './exec-context.js';
import type { AuditEvent } from '../store/audit.js';
import { faultPoint } from '../fault.js';

export interface VerifiedSuccessor {
  dataset: string;
  day: string;
  /** The only good copy so far. */
  source: string;
  /** A verified `*.tmp`, fsynced, ready to take its final name. */
  tmp: string;
  dest: string;
  /** Recorded before the rename, with `pendingDelete`, so that a crash at any later point is finished by recovery. */
  intent: Partial<DayRecord>;
  /** Recorded after the rename, with the audit line. */
  final: Partial<DayRecord>;
  event: AuditEvent;
  /** Names the fault points of this move: `compress` or `archive`. */
  job: string;
}

/**
 * The second half of a crash-safe move (DESIGN 3), shared by compress and archive: the successor is already
 * verified under its `.tmp` name. Record intent (pendingDelete) -> rename -> fsync dir -> new state + audit ->
 * delete the source -> clear pendingDelete. A crash anywhere leaves the source, or a verified successor that
 * recovery recognises by the hash recorded with the intent.
 */
export async function completeMove(m: VerifiedSuccessor, ctx: ExecContext): Promise<void> {
  const { store } = ctx;
  try {
    faultPoint(`${m.job}:before-intent`);
    await store.update(m.dataset, m.day, { ...m.intent, pendingDelete: m.source });
    faultPoint(`${m.job}:after-intent`);
    await rename(m.tmp, m.dest);
  } catch (err) {
    await unlink(m.tmp).catch(() => undefined);
    await store.update(m.dataset, m.day, { pendingDelete: undefined });
    throw ioError('rename', m.dest, err);
  }
  await fsyncDir(dirname(m.dest));
  faultPoint(`${m.job}:after-rename`);
  await store.transition(m.dataset, m.day, m.final, m.event);
  faultPoint(`${m.job}:after-audit`);
  await removeDurably(m.source);
  await removeDurably(`${m.source}-wal`);
  await removeDurably(`${m.source}-shm`);
  faultPoint(`${m.job}:after-delete`);
  await store.update(m.dataset, m.day, { pendingDelete: undefined });
}
