import { describeError } from '../errors.js';
import { freeSpaceOf } from '../fs/free-space.js';
import type { TierDirs } from '../layout/tiers.js';
import type { Logger } from '../log.js';
import type { DiskFacts } from './plan-early.js';

/**
 * The db and archive tiers' file systems, for the planner's early relief. A file system that cannot be measured
 * means no early relief this run (logged), never a failed run: the disk check of `status` reports it.
 */
export async function readDiskFacts(
  dirs: Pick<TierDirs, 'db' | 'archive'>,
  logger?: Logger,
): Promise<DiskFacts | undefined> {
  try {
    const [db, archive] = await Promise.all([freeSpaceOf(dirs.db), freeSpaceOf(dirs.archive)]);
    return {
      db: { device: db.device, totalBytes: db.totalBytes, availableBytes: db.availableBytes },
      archive: { device: archive.device },
    };
  } catch (err) {
    logger?.warn(
      { job: 'plan', path: dirs.db, err: describeError(err) },
      `free space unknown, no early compression this run: ${describeError(err)}`,
    );
    return undefined;
  }
}

/** Whether the db tier's file system is below `warnFreePercent` (the agent's hourly look, between jobs). */
export function isLow(disk: DiskFacts | undefined, warnFreePercent: number): boolean {
  return (
    disk !== undefined &&
    disk.db.totalBytes > 0 &&
    (disk.db.availableBytes / disk.db.totalBytes) * 100 < warnFreePercent
  );
}
