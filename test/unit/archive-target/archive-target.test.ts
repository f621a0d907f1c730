import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expandPrefix, objectKey } from '../../../src/archive-target/object-key.js';
import { retainUntilFor, testRetentionOverride } from '../../../src/archive-target/retention.js';
import { isLockRefusal, isOffline, remoteError } from '../../../src/archive-target/s3-errors.js';
import { loadConfig } from '../../../src/config/load.js';
import { TickdbError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  delete process.env.TICKDB_FAULT;
});

function load(content: unknown) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const path = join(t.dir, 'tickdb.json');
  writeFileSync(path, JSON.stringify(content));
  return loadConfig({ configFile: path, env: {} });
}

function configError(content: unknown): TickdbError {
  try {
    load(content);
  } catch (err) {
    if (err instanceof TickdbError) return err;
    throw err;
  }
  throw new Error('expected a configuration error');
}

const S3 = { type: 's3', endpoint: 'http://127.0.0.1:7480', bucket: 'ticks-archive', forcePathStyle: true };

describe('object keys', () => {
  it('PREFIX + DATASET/YYYY/MM/DATASET_YYYY-MM-DD.db.zst, {host} expanded', () => {
    expect(objectKey('', 'ticks', '2026-03-01')).toBe('ticks/2026/03/ticks_2026-03-01.db.zst');
    expect(objectKey(expandPrefix('{host}/', 'trade-07'), 'fx', '2026-12-31')).toBe(
      'trade-07/fx/2026/12/fx_2026-12-31.db.zst',
    );
    expect(expandPrefix('archive', 'h')).toBe('archive/');
    expect(expandPrefix('/lead/{host}', 'h')).toBe('lead/h/');
    expect(expandPrefix('', 'h')).toBe('');
  });
});

describe('retention', () => {
  it('is the purge date (day + purgeAfterDays, 00:00 UTC), never before minimumRetentionDays', () => {
    expect(retainUntilFor('2026-03-01', 180, 0).toISOString()).toBe('2026-08-28T00:00:00.000Z');
    expect(retainUntilFor('2026-03-01', 180, 2555).toISOString()).toBe('2033-02-27T00:00:00.000Z');
  });
  it('the test hook gives N seconds from the real clock, and nothing without it', () => {
    expect(testRetentionOverride()).toBeUndefined();
    process.env.TICKDB_FAULT = 'other,s3-retention-seconds:5';
    const t = testRetentionOverride()?.getTime() ?? 0;
    expect(t - Date.now()).toBeGreaterThan(4000);
    expect(t - Date.now()).toBeLessThanOrEqual(5000);
  });
});

describe('archiveTarget configuration', () => {
  it('s3 with defaults; no credentials field exists', () => {
    const { config } = load({ archiveTarget: S3 });
    expect(config.archiveTarget).toMatchObject({
      ...S3,
      region: 'us-east-1',
      prefix: '',
      keepLocalCopy: false,
      backlogCritDays: 3,
    });
    const err = configError({ archiveTarget: { ...S3, secretAccessKey: 'x' } });
    expect(err.code).toBe('CONFIG');
    expect(err.message).toContain('secretAccessKey');
  });
  it('objectLock.mode is COMPLIANCE or GOVERNANCE', () => {
    expect(load({ archiveTarget: { ...S3, objectLock: { mode: 'GOVERNANCE' } } }).config.archiveTarget).toMatchObject({
      objectLock: { mode: 'GOVERNANCE' },
    });
    expect(configError({ archiveTarget: { ...S3, objectLock: { mode: 'STRICT' } } }).message).toContain(
      'archiveTarget.objectLock.mode',
    );
  });
  it('rejects a bad bucket name or endpoint', () => {
    expect(configError({ archiveTarget: { ...S3, bucket: 'Ticks_Archive' } }).message).toContain(
      'archiveTarget.bucket',
    );
    expect(configError({ archiveTarget: { ...S3, endpoint: 'ftp://x' } }).message).toContain('archiveTarget.endpoint');
  });
  it('filesystem is archiveDir written in full; both set exits 2', () => {
    expect(load({ archiveTarget: { type: 'filesystem', dir: '/mnt/nas/{host}' } }).config.archiveDir).toBe(
      '/mnt/nas/{host}',
    );
    const err = configError({ archiveDir: '/a', archiveTarget: { type: 'filesystem', dir: '/b' } });
    expect(err.code).toBe('CONFIG');
    expect(err.message).toContain('not both');
  });
});

describe('S3 errors', () => {
  const sdk = (name: string, status?: number, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(`${name} message`), {
      name,
      $metadata: status === undefined ? {} : { httpStatusCode: status },
      ...extra,
    });
  it('names the bucket, the operation and the permission', () => {
    const denied = remoteError(sdk('AccessDenied', 403), 'delete version', 'b1', 'k');
    expect(denied.code).toBe('REMOTE');
    expect(denied.message).toContain('bucket b1');
    expect(denied.message).toContain('s3:DeleteObjectVersion');
    const creds = remoteError(sdk('SignatureDoesNotMatch', 403), 'upload', 'b1', 'k');
    expect(creds.message).toContain('credentials are not accepted');
    expect(remoteError(sdk('NoSuchBucket', 404), 'check bucket', 'b1').code).toBe('CONFIG');
  });
  it('a lost connection or a 5xx is OFFLINE (a backlog); a lock refusal is told apart', () => {
    expect(isOffline(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isOffline(sdk('InternalError', 503))).toBe(true);
    expect(remoteError(sdk('TimeoutError'), 'upload', 'b').code).toBe('OFFLINE');
    expect(isOffline(sdk('AccessDenied', 403))).toBe(false);
    const lock = Object.assign(new Error('forbidden by object lock'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    expect(isLockRefusal(lock)).toBe(true);
    expect(isLockRefusal(sdk('AccessDenied', 403))).toBe(false);
  });
});
