import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { tempDir } from './cli.js';
import { type Rgw, startRgw } from './rgw.js';

/** What an S3 test file shares: one RGW with its buckets, one temp folder, and numbered roots under it. */
export interface RgwFile {
  readonly rgw: Rgw;
  readonly dir: string;
  /** A fresh root and config path, `r<n>` and `c<n>.json`, with `n` counting from 1 in the file. */
  next(): { n: number; root: string; config: string };
}

/**
 * Starts one Ceph RGW for the test file (a start costs 20-40 s) and makes `buckets` (name → with Object Lock);
 * stops it and deletes the temp folder after the file. Call it inside the file's `describe`.
 */
export function rgwForFile(tmpPrefix: string, buckets: Record<string, boolean>): RgwFile {
  const tmp = tempDir(tmpPrefix);
  let rgw: Rgw | undefined;
  let n = 0;
  beforeAll(async () => {
    rgw = await startRgw();
    for (const [name, locked] of Object.entries(buckets)) await rgw.createBucket(name, locked);
  });
  afterAll(() => {
    try {
      rgw?.stop();
    } finally {
      tmp.cleanup();
    }
  });
  return {
    get rgw(): Rgw {
      if (rgw === undefined) throw new Error('the RGW is not started yet (use it inside a test or a hook)');
      return rgw;
    },
    dir: tmp.dir,
    next() {
      n += 1;
      return { n, root: join(tmp.dir, `r${n}`), config: join(tmp.dir, `c${n}.json`) };
    },
  };
}

/**
 * A config for a tree archived to S3 (JSON text): the tests' short policy (compress at 2 days, archive at 3, purge at
 * 10, level 3), then `policy`, and an archiveTarget in path style under COMPLIANCE unless `target` says otherwise
 * (`objectLock: undefined` drops it).
 */
export function s3Config(
  root: string,
  target: { endpoint: string; bucket: string; prefix: string } & Record<string, unknown>,
  policy: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    root,
    compressAfterDays: 2,
    archiveAfterDays: 3,
    purgeAfterDays: 10,
    compressionLevel: 3,
    ...policy,
    archiveTarget: { type: 's3', forcePathStyle: true, objectLock: { mode: 'COMPLIANCE' }, ...target },
  });
}
