/**
 * Upload throughput to S3 (issue 17 item 8), part of `npm run bench` (alone: `npm run bench -- --s3-only`).
 *
 * A throwaway Ceph RGW on loopback (scripts/ceph-rgw.sh, memstore), a bucket with Object Lock, and one legacy day of
 * about --s3-mb MiB of random bytes (it does not compress), already verified and waiting in the local archive tier.
 * Measured, best of --reps, each on a fresh copy of that tree and a fresh key:
 *  - `tickdb archive`: the upload as the agent does it (16 MiB parts, 4 in flight, Content-MD5 on each), the
 *    retention checked and set, the version read back and its SHA-256 compared, the local copy removed;
 *  - the reference, on the same bytes in the same run: `curl -T` (one streamed PUT signed by curl's own SigV4, no
 *    checksum, no multipart: the least work a client can do) then `curl` GET piped to `sha256sum` (the read-back).
 * curl, because it is a C client independent of the AWS SDK, installed with the packages the tests need already
 * (the AWS CLI is not), and it signs SigV4 itself (curl >= 7.75). Without radosgw, one line says why and nothing runs.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { best, ratio, REPO, timeCommand, timeTickdb } from './bench-cli.js';
import { rgwEnv } from './ceph-rgw-env.js';
import { freePort } from './free-port.js';
import { writeIncompressibleDb, zstdLegacy } from './legacy-day.js';

const MiB = 1024 * 1024;
const BUCKET = 'bench-archive';
const NEEDED = ['radosgw', 'ceph-mon', 'ceph-osd', 'radosgw-admin', 'ceph', 'monmaptool', 'curl', 'sqlite3', 'zstd'];

export interface BenchS3Result {
  zstBytes: number;
  /** Best of the reps. */
  tickdbMs: number;
  /** Best of the reps' `curl -T` + `curl | sha256sum` (each rep's sum), and of the PUT alone. */
  curlMs: number;
  curlPutMs: number;
}

export type BenchS3Outcome = { skipped: string } | BenchS3Result;

function missing(): string[] {
  return NEEDED.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
}

function rgw(...args: string[]): string {
  const r = spawnSync('bash', [join(REPO, 'scripts', 'ceph-rgw.sh'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, CEPH_MEMSTORE_BYTES: String(4 * 1024 ** 3) },
  });
  if (r.status !== 0) throw new Error(`scripts/ceph-rgw.sh ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** A legacy `.db.zst` of about `mib` MiB in db/ (random blobs: the compressed file is as large). */
function legacyDay(root: string, day: string, mib: number): void {
  const dir = join(root, 'db', day.slice(0, 4), day.slice(5, 7));
  mkdirSync(dir, { recursive: true });
  const db = join(dir, `ticks_${day}.db`);
  writeIncompressibleDb(db, mib);
  zstdLegacy(db);
}

export async function benchS3(
  work: string,
  options: { mb: number; reps: number },
  log: (line: string) => void,
): Promise<BenchS3Outcome> {
  const lacking = missing();
  if (lacking.length > 0)
    return {
      skipped: `${lacking.join(', ')} not found (apt-get install ceph-mon ceph-osd radosgw ceph-common curl sqlite3 zstd)`,
    };
  const cluster = mkdtempSync(join(work, 'rgw-'));
  const port = await freePort();
  log(`s3: starting Ceph RGW on 127.0.0.1:${port} ...`);
  const { endpoint, env } = rgwEnv(rgw('start', cluster, String(port)), cluster, port);
  const sigv4 = [
    '--aws-sigv4',
    'aws:amz:us-east-1:s3',
    '--user',
    `${env.AWS_ACCESS_KEY_ID}:${env.AWS_SECRET_ACCESS_KEY}`,
  ];
  const curl = (...args: string[]): string[] => [
    '-sS',
    '-f',
    ...sigv4,
    '-H',
    'x-amz-content-sha256: UNSIGNED-PAYLOAD',
    ...args,
  ];
  try {
    run('curl', [...curl('-X', 'PUT', '-H', 'x-amz-bucket-object-lock-enabled: true', `${endpoint}/${BUCKET}`)]);
    const now = new Date();
    const day = new Date(now.getTime() - 5 * 86_400_000).toISOString().slice(0, 10);
    const pristine = join(work, 's3-pristine');
    const config = (root: string, prefix: string, target: string, attempts: number): string => {
      const file = `${root}.json`;
      writeFileSync(
        file,
        JSON.stringify({
          root,
          compressAfterDays: 2,
          archiveAfterDays: 3,
          purgeAfterDays: 30,
          archiveTarget: {
            type: 's3',
            endpoint: target,
            bucket: BUCKET,
            prefix,
            forcePathStyle: true,
            objectLock: { mode: 'COMPLIANCE' },
            maxAttempts: attempts,
          },
        }),
      );
      return file;
    };
    log(`s3: a legacy day of ${options.mb} MiB, verified and left waiting (a first run against a closed port) ...`);
    legacyDay(pristine, day, options.mb);
    const closed = `http://127.0.0.1:${await freePort()}`;
    const iso = now.toISOString();
    const first = timeTickdb(['run', '--once', '--config', config(pristine, 'x/', closed, 1), '--now', iso], env, work);
    if (first.code !== 0) throw new Error(`the first run failed: ${first.stderr}`);
    const zst = ['archive', 'db']
      .map((tier) => join(pristine, tier, day.slice(0, 4), day.slice(5, 7), `ticks_${day}.db.zst`))
      .find((p) => existsSync(p));
    if (zst === undefined) throw new Error(`the first run left no .db.zst of ${day}: ${first.stderr}`);
    const zstBytes = statSync(zst).size;
    const tickdb: number[] = [];
    const put: number[] = [];
    const getSha: number[] = [];
    for (let i = 0; i < options.reps; i++) {
      const root = join(work, `s3-rep-${i}`);
      cpSync(pristine, root, { recursive: true });
      const file = config(root, `rep${i}/`, endpoint, 5);
      const r = timeTickdb(['archive', '--config', file, '--now', iso, '--log-level', 'warn'], env, work);
      if (r.code !== 0) throw new Error(`tickdb archive failed: ${r.stderr}`);
      tickdb.push(r.ms);
      const url = `${endpoint}/${BUCKET}/ref${i}/ticks_${day}.db.zst`;
      put.push(timeCommand('curl', [...curl('-T', zst, url)]));
      getSha.push(
        timeCommand('sh', [
          '-c',
          `curl ${curl(url)
            .map((a) => `'${a}'`)
            .join(' ')} | sha256sum`,
        ]),
      );
      log(
        `s3: rep ${i + 1}: tickdb archive ${Math.round(r.ms)} ms; curl PUT ${Math.round(put[i] ?? 0)} ms + GET | sha256sum ${Math.round(getSha[i] ?? 0)} ms`,
      );
      rmSync(root, { recursive: true, force: true });
    }
    return {
      zstBytes,
      tickdbMs: best(tickdb),
      curlMs: best(put.map((p, i) => p + (getSha[i] ?? 0))),
      curlPutMs: best(put),
    };
  } finally {
    rgw('stop', cluster);
  }
}

export function formatBenchS3(r: BenchS3Outcome): string {
  if ('skipped' in r) return `S3 upload: skipped: ${r.skipped}`;
  const mbps = (ms: number): string => `${(r.zstBytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
  const reference = r.curlMs;
  return [
    `S3 upload of one day to Ceph RGW on loopback (memstore): ${(r.zstBytes / MiB).toFixed(1)} MiB .db.zst`,
    `  tickdb archive (16 MiB parts + Content-MD5, retention, read back + SHA-256)  ${Math.round(r.tickdbMs)} ms  ${mbps(r.tickdbMs)}`,
    `  curl -T (one PUT) + curl GET | sha256sum, same bytes                         ${Math.round(reference)} ms  ${mbps(reference)}`,
    `    of which curl -T alone                                                     ${Math.round(r.curlPutMs)} ms  ${mbps(r.curlPutMs)}`,
    `  ratio ${ratio(r.tickdbMs, reference)} (tickdb / curl, upload and read-back both)`,
  ].join('\n');
}
