import type { Config } from '../config/schema.js';
import type { RemoteCopySource } from '../drill/drill-types.js';
import { fetchRemoteDay } from '../inspect/fetch-remote.js';

/**
 * The S3 archive tier as a drill sees it (DESIGN 16a, 12): the object version a day's record names, downloaded by
 * the same verified fetch as `decompress` (size and SHA-256 against the record: a mismatch is CORRUPT, a bad
 * copy), then checked by the drill like a local `.db.zst`. Undefined without an S3 archive target.
 */
export function s3DrillSource(config: Config): RemoteCopySource | undefined {
  if (config.archiveTarget?.type !== 's3') return undefined;
  return {
    tier: 's3',
    copyOf: (rec) =>
      rec.remote === undefined
        ? undefined
        : {
            tier: 's3',
            kind: 'zst',
            location: `s3://${rec.remote.bucket}/${rec.remote.key} (version ${rec.remote.versionId})`,
            bytes: rec.remote.bytes,
          },
    download: async (rec, dest) => {
      await fetchRemoteDay(config, rec, dest);
    },
  };
}
