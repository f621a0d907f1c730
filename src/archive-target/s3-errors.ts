import { TickdbError } from '../errors.js';

/** The IAM permission each operation needs, named in the error when the server denies it. */
export const PERMISSION: Record<string, string> = {
  'check bucket': 's3:GetBucketObjectLockConfiguration',
  'head bucket': 's3:ListBucket',
  upload: 's3:PutObject',
  head: 's3:GetObject (s3:GetObjectVersion)',
  'list versions': 's3:ListBucketVersions',
  read: 's3:GetObject (s3:GetObjectVersion)',
  'extend retention': 's3:PutObjectRetention',
  'legal hold': 's3:PutObjectLegalHold',
  'delete version': 's3:DeleteObjectVersion',
  'abort multipart': 's3:ListBucketMultipartUploads, s3:AbortMultipartUpload',
  'write anchor': 's3:PutObject',
};

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const CREDENTIALS = new Set([
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'InvalidToken',
  'CredentialsProviderError',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function statusOf(err: SdkError): number | undefined {
  return err.$metadata?.httpStatusCode;
}

/** True for a server that could not be reached (after the SDK's retries): the day waits in its local tier. */
export function isOffline(err: unknown): boolean {
  if (err instanceof TickdbError) return err.code === 'OFFLINE';
  const e = (err ?? {}) as SdkError;
  const status = statusOf(e);
  return (
    NETWORK.has(e.code ?? '') ||
    e.name === 'TimeoutError' ||
    e.name === 'RequestTimeout' ||
    (status !== undefined && status >= 500) ||
    (status === undefined &&
      e.name !== 'CredentialsProviderError' &&
      /socket hang up|ECONN|timed? ?out/i.test(e.message ?? ''))
  );
}

/** True when Object Lock (retention or legal hold) forbade the operation. */
export function isLockRefusal(err: unknown): boolean {
  if (err instanceof TickdbError) return err.code === 'REMOTE' && err.message.includes('object lock');
  const e = (err ?? {}) as SdkError;
  return statusOf(e) === 403 && /object lock|retention|legal hold/i.test(e.message ?? '');
}

export function isNotFound(err: unknown): boolean {
  const e = (err ?? {}) as SdkError;
  return statusOf(e) === 404 || e.name === 'NotFound' || e.name === 'NoSuchKey' || e.name === 'NoSuchVersion';
}

/**
 * Turns an SDK error into a TickdbError naming the bucket, the key, the operation and (for a denial) the
 * permission: OFFLINE when the server cannot be reached, CONFIG for a missing bucket, REMOTE otherwise.
 */
export function remoteError(err: unknown, op: string, bucket: string, key?: string): TickdbError {
  if (err instanceof TickdbError) return err;
  const e = (err ?? {}) as SdkError;
  const what = `S3 ${op} on bucket ${bucket}${key === undefined ? '' : ` key ${key}`}`;
  const detail = `${e.name ?? 'Error'}${e.code !== undefined && e.code !== e.name ? ` ${e.code}` : ''}: ${e.message ?? String(err)}`;
  const status = statusOf(e);
  const path = key === undefined ? `s3://${bucket}` : `s3://${bucket}/${key}`;
  if (isOffline(err)) {
    return new TickdbError('OFFLINE', `${what} failed: the server cannot be reached (${detail})`, {
      path,
      hint: 'the day stays in its local tier and is uploaded when the server answers again',
      cause: err,
    });
  }
  if (e.name === 'NoSuchBucket') {
    return new TickdbError('CONFIG', `${what} failed: bucket ${bucket} does not exist`, {
      path: 'archiveTarget.bucket',
      hint: `create bucket ${bucket} (with Object Lock if objectLock is set) or fix archiveTarget.bucket`,
      cause: err,
    });
  }
  if (CREDENTIALS.has(e.name ?? '') || (status === 403 && !isLockRefusal(err))) {
    const credentials = CREDENTIALS.has(e.name ?? '');
    return new TickdbError(
      'REMOTE',
      `${what} refused: ${credentials ? 'the credentials are not accepted' : `permission denied (needs ${PERMISSION[op] ?? op})`} (${detail})`,
      {
        path,
        hint: credentials
          ? "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the shared credentials file or the instance role (never tickdb's config)"
          : `grant ${PERMISSION[op] ?? op} on bucket ${bucket} to these credentials`,
        cause: err,
      },
    );
  }
  if (isLockRefusal(err)) {
    return new TickdbError('REMOTE', `${what} refused by object lock: ${e.message ?? ''}`, { path, cause: err });
  }
  return new TickdbError('REMOTE', `${what} failed (${status ?? 'no status'}) ${detail}`, { path, cause: err });
}
