import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { rgwEnv } from '../../scripts/ceph-rgw-env.js';
import { freePort } from '../../scripts/free-port.js';
import { REPO } from './cli.js';
import { type ExternalProgram, needProgram } from './external-programs.js';

const SCRIPT = join(REPO, 'scripts', 'ceph-rgw.sh');

/** The programs a throwaway RGW needs (and `extra`): false where one is missing (under CI=true, the file fails). */
export function needCeph(...extra: ExternalProgram[]): boolean {
  return needProgram('radosgw', 'ceph-mon', 'ceph-osd', 'radosgw-admin', 'ceph', 'monmaptool', ...extra);
}

/** A throwaway Ceph cluster with radosgw on loopback (scripts/ceph-rgw.sh), for one test file. */
export interface Rgw {
  endpoint: string;
  dir: string;
  /** Credentials for the spawned CLI: only the standard AWS environment variables. */
  env: Record<string, string>;
  client: S3Client;
  createBucket(name: string, objectLock: boolean): Promise<void>;
  /** radosgw alone stopped / started again (the monitor and the OSD keep every bucket). */
  stopGateway(): void;
  startGateway(): void;
  stop(): void;
}

function script(args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync('bash', [SCRIPT, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CEPH_MEMSTORE_BYTES: String(2 * 1024 ** 3), ...env },
  });
  if (r.status !== 0) throw new Error(`scripts/ceph-rgw.sh ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

export async function startRgw(): Promise<Rgw> {
  const dir = mkdtempSync(join(tmpdir(), 'tickdb-rgw-'));
  const port = await freePort();
  // The monitor's port too: the script's default (the first free port from 13300) races when two test files
  // start a cluster at the same moment (vitest runs two files at once), and one monitor then fails to bind.
  let monPort = await freePort();
  while (monPort === port) monPort = await freePort();
  let out: string;
  try {
    out = script(['start', dir, String(port)], { CEPH_MON_PORT: String(monPort) });
  } catch (err) {
    spawnSync('bash', [SCRIPT, 'stop', dir]);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { endpoint, env } = rgwEnv(out, dir, port);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    dir,
    env,
    client,
    async createBucket(name, objectLock) {
      await client.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: objectLock }));
    },
    stopGateway: () => void script(['stop-gateway', dir]),
    startGateway: () => void script(['start-gateway', dir]),
    stop() {
      client.destroy();
      script(['stop', dir]);
    },
  };
}
