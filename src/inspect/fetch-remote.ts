import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openS3Target } from '../archive-target/open-target.js';
import type { Config } from '../config/schema.js';
import { TickdbError, ioError } from '../errors.js';
import type { DayRecord } from '../store/metadata-types.js';

/**
 * Downloads a day's object version from the S3 archive to `dest` (a scratch file outside the tiers), hashing it
 * as it streams, and checks size and SHA-256 against the record before anything reads it (DESIGN 12).
 */
export async function fetchRemoteDay(
  config: Config,
  rec: DayRecord,
  dest: string,
): Promise<{ bytes: number; sha256: string }> {
  const remote = rec.remote;
  const c = config.archiveTarget;
  if (remote === undefined) throw new TickdbError('INTERNAL', `${rec.dataset}/${rec.day} has no S3 object recorded`);
  if (c?.type !== 's3') {
    throw new TickdbError(
      'CONFIG',
      `${rec.dataset}/${rec.day} is in the S3 archive (s3://${remote.bucket}/${remote.key}) but archiveTarget is not s3`,
      {
        path: 'archiveTarget',
        hint: 'configure the S3 archive target the day was uploaded to',
      },
    );
  }
  const target = await openS3Target(c);
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    const body = await target.read(remote.key, remote.versionId);
    await pipeline(body, tap, createWriteStream(dest, { mode: 0o600 }));
  } catch (err) {
    await unlink(dest).catch(() => undefined);
    throw err instanceof TickdbError ? err : ioError('download', dest, err);
  } finally {
    target.close();
  }
  const sha256 = hash.digest('hex');
  const want = rec.zstSha256 ?? remote.sha256;
  if (bytes !== remote.bytes || sha256 !== want) {
    await unlink(dest).catch(() => undefined);
    throw new TickdbError(
      'CORRUPT',
      `s3://${remote.bucket}/${remote.key} version ${remote.versionId} read as ${bytes} bytes with SHA-256 ${sha256}, not the recorded ${remote.bytes} bytes ${want}`,
      {
        path: `s3://${remote.bucket}/${remote.key}`,
        hint: 'run `tickdb verify`; the day may have to be restored from another copy',
      },
    );
  }
  return { bytes, sha256 };
}
