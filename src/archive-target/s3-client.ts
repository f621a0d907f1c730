import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';

export interface S3ClientOptions {
  endpoint?: string | undefined;
  region: string;
  forcePathStyle: boolean;
  /** Attempts per request (the SDK's standard retry: exponential backoff with full jitter on 5xx, timeouts, lost connections). */
  maxAttempts: number;
  /** ms to open a connection, and of socket inactivity before a request is abandoned (then retried). */
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

const DATA_COMMANDS = new Set(['PutObjectCommand', 'UploadPartCommand']);

/**
 * An S3 client for the archive tier. Credentials come only from the SDK's standard chain (environment, shared
 * credentials file, instance role), never from tickdb's config. Checksums are computed only where the API
 * requires them: Ceph RGW accepts `x-amz-checksum-*` without checking them and the SDK's default CRC32 on
 * streamed bodies fails there (411). Instead every request that carries object data gets a Content-MD5 (which
 * RGW and AWS do check, and which AWS requires with Object Lock), and the archive step reads each object back
 * and compares its SHA-256.
 */
export async function createS3Client(o: S3ClientOptions): Promise<S3Client> {
  // The SDK warns on every start that its releases after January 2027 need Node 22; tickdb pins a release that
  // supports Node 20, and the warning would only clutter the log on stderr. An operator's own setting wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { S3Client } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
    region: o.region,
    forcePathStyle: o.forcePathStyle,
    maxAttempts: o.maxAttempts,
    retryMode: 'standard',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // socketTimeout, not requestTimeout: in @smithy/node-http-handler 4.x requestTimeout only logs a warning unless
    // throwOnRequestTimeout is set, and it would bound a whole part however fast it moves. A server that accepts a
    // request and never answers hung the upload for good (test/integration/s3-faults.test.ts, 'stops answering').
    requestHandler: { connectionTimeout: o.connectTimeoutMs, socketTimeout: o.requestTimeoutMs },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { body?: unknown; headers?: Record<string, string> };
      if (
        DATA_COMMANDS.has(context.commandName ?? '') &&
        request.body instanceof Uint8Array &&
        request.headers !== undefined
      ) {
        request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
      }
      return next(args);
    },
    { step: 'build', name: 'tickdbContentMd5' },
  );
  return client;
}
