import { hostname } from 'node:os';
import type { S3TargetConfig } from '../config/archive-target-schema.js';
import { expandPrefix } from './object-key.js';
import { S3Target } from './s3.js';

/** The S3 target described by `archiveTarget` (prefix `{host}` expanded with this host's name). */
export async function openS3Target(c: S3TargetConfig, host: string = hostname()): Promise<S3Target> {
  return S3Target.open({
    endpoint: c.endpoint,
    region: c.region,
    forcePathStyle: c.forcePathStyle,
    maxAttempts: c.maxAttempts,
    connectTimeoutMs: 5_000,
    requestTimeoutMs: c.requestTimeoutSeconds * 1000,
    bucket: c.bucket,
    prefix: expandPrefix(c.prefix, host),
    partSizeBytes: c.partSizeMib * 1024 * 1024,
    queueSize: c.queueSize,
  });
}
