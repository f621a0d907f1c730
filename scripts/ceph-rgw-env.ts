import { join } from 'node:path';

/**
 * The endpoint and the AWS environment of a cluster started by `scripts/ceph-rgw.sh start DIR PORT`, from what it
 * printed (`S3_ENDPOINT=...` lines). The environment is the one credentials source: no shared credentials file, no
 * instance role.
 */
export function rgwEnv(
  printed: string,
  dir: string,
  port: number,
): { endpoint: string; env: Record<string, string> & { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string } } {
  const vars = Object.fromEntries(
    printed
      .trim()
      .split('\n')
      .map((l) => l.split('=', 2) as [string, string]),
  );
  return {
    endpoint: vars.S3_ENDPOINT ?? `http://127.0.0.1:${port}`,
    env: {
      AWS_ACCESS_KEY_ID: vars.S3_ACCESS_KEY ?? 'AK',
      AWS_SECRET_ACCESS_KEY: vars.S3_SECRET_KEY ?? 'SK',
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_CONFIG_FILE: join(dir, 'no-config'),
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  };
}
