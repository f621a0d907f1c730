import { openS3Target } from '../archive-target/open-target.js';
import type { Config } from '../config/schema.js';
import { TickdbError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RemoteArchive } from './exec-context.js';

/**
 * Opens the S3 archive for a run and checks its bucket once (DESIGN 12): a missing bucket, or one without the
 * Object Lock the config asks for, is a configuration error (exit 2, naming the bucket); refused credentials fail
 * every S3 step of the run (exit 1), while the other jobs (seal, compress) go on; a server that cannot be reached
 * makes the run's uploads a backlog (the days stay local).
 */
export async function openRemote(config: Config, logger: Logger): Promise<RemoteArchive | undefined> {
  const c = config.archiveTarget;
  if (c?.type !== 's3') return undefined;
  const target = await openS3Target(c);
  try {
    await target.checkBucket(c.objectLock !== undefined);
    return { target, config: c };
  } catch (err) {
    if (err instanceof TickdbError && err.code === 'OFFLINE') {
      logger.warn({ job: 'archive', path: target.location }, `${err.message}; uploads wait (backlog)`);
      return { target, config: c, offline: err };
    }
    if (err instanceof TickdbError && err.code === 'REMOTE') {
      logger.error({ job: 'archive', path: target.location }, err.describe());
      return { target, config: c, refused: err };
    }
    target.close();
    throw err;
  }
}
