import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { TickdbError } from '../errors.js';
import { objectKey } from './object-key.js';
import { isNotFound, remoteError } from './s3-errors.js';
import { createS3Client, type S3ClientOptions } from './s3-client.js';
import type { ArchiveTarget, ListedVersion, LockMode, PutOptions, RemoteObject } from './target.js';

export interface S3TargetOptions extends S3ClientOptions {
  bucket: string;
  /** Already expanded (`{host}` replaced), empty or ending with `/`. */
  prefix: string;
  /** Objects up to this size go in one PUT; larger ones in parts of this size, `queueSize` at a time. */
  partSizeBytes: number;
  queueSize: number;
}

type Sdk = typeof import('@aws-sdk/client-s3');

interface HeadLike {
  ContentLength?: number | undefined;
  ETag?: string | undefined;
  VersionId?: string | undefined;
  Metadata?: Record<string, string> | undefined;
  ObjectLockMode?: string | undefined;
  ObjectLockRetainUntilDate?: Date | undefined;
  ObjectLockLegalHoldStatus?: string | undefined;
}

/** A number stored as user metadata, when it is one. */
function metaNumber(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** User metadata naming the day's sealed database (`x-amz-meta-day-sha256`, `-day-bytes`, `-rows`). */
function dayMetadata(day: PutOptions['day']): Record<string, string> {
  const out: Record<string, string> = {};
  if (day?.sha256 !== undefined) out['day-sha256'] = day.sha256;
  if (day?.bytes !== undefined) out['day-bytes'] = String(day.bytes);
  if (day?.rows !== undefined) out.rows = String(day.rows);
  return out;
}

function toRemote(key: string, h: HeadLike): RemoteObject {
  const m = h.Metadata;
  return {
    key,
    versionId: h.VersionId ?? 'null',
    etag: (h.ETag ?? '').replaceAll('"', ''),
    bytes: h.ContentLength ?? 0,
    sha256: m?.sha256,
    daySha256: m?.['day-sha256'],
    dayBytes: metaNumber(m?.['day-bytes']),
    rows: metaNumber(m?.rows),
    lockMode: h.ObjectLockMode === 'COMPLIANCE' || h.ObjectLockMode === 'GOVERNANCE' ? h.ObjectLockMode : undefined,
    retainUntil: h.ObjectLockRetainUntilDate?.toISOString(),
    legalHold: h.ObjectLockLegalHoldStatus === undefined ? undefined : h.ObjectLockLegalHoldStatus === 'ON',
  };
}

/** The S3 archive target (AWS S3, Ceph RGW, MinIO), through `@aws-sdk/client-s3` and `@aws-sdk/lib-storage`. */
export class S3Target implements ArchiveTarget {
  readonly location: string;
  readonly bucket: string;
  readonly prefix: string;

  private constructor(
    private readonly sdk: Sdk,
    private readonly client: S3Client,
    private readonly o: S3TargetOptions,
  ) {
    this.bucket = o.bucket;
    this.prefix = o.prefix;
    this.location = `s3://${o.bucket}/${o.prefix}`;
  }

  static async open(o: S3TargetOptions): Promise<S3Target> {
    const client = await createS3Client(o);
    return new S3Target(await import('@aws-sdk/client-s3'), client, o);
  }

  keyFor(dataset: string, day: string): string {
    return objectKey(this.o.prefix, dataset, day);
  }

  private async call<T>(op: string, key: string | undefined, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      throw remoteError(err, op, this.bucket, key);
    }
  }

  async checkBucket(wantLock: boolean): Promise<void> {
    const Bucket = this.bucket;
    if (!wantLock) {
      await this.call('head bucket', undefined, () => this.client.send(new this.sdk.HeadBucketCommand({ Bucket })));
      return;
    }
    try {
      const r = await this.client.send(new this.sdk.GetObjectLockConfigurationCommand({ Bucket }));
      if (r.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled') return;
    } catch (err) {
      if ((err as { name?: string }).name !== 'ObjectLockConfigurationNotFoundError')
        throw remoteError(err, 'check bucket', Bucket);
    }
    throw new TickdbError('CONFIG', `bucket ${Bucket} has no Object Lock, which archiveTarget.objectLock asks for`, {
      path: 'archiveTarget.objectLock',
      hint: `Object Lock can only be chosen when a bucket is created: create a new bucket with it (aws s3api create-bucket --object-lock-enabled-for-bucket) or remove archiveTarget.objectLock`,
    });
  }

  async put(path: string, key: string, options: PutOptions): Promise<RemoteObject> {
    const { Upload } = await import('@aws-sdk/lib-storage');
    const lock = options.lock;
    const upload = new Upload({
      client: this.client,
      partSize: this.o.partSizeBytes,
      queueSize: this.o.queueSize,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: createReadStream(path, { highWaterMark: 1 << 20 }),
        ContentLength: options.bytes,
        ContentType: 'application/zstd',
        Metadata: { sha256: options.sha256, ...dayMetadata(options.day) },
        ...(lock !== undefined ? { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: lock.retainUntil } : {}),
        ...(options.legalHold === true ? { ObjectLockLegalHoldStatus: 'ON' as const } : {}),
      },
    });
    if (options.onBytes !== undefined) {
      const report = options.onBytes;
      upload.on('httpUploadProgress', (p) => report(p.loaded ?? 0));
    }
    const done = await this.call('upload', key, () => upload.done());
    const versionId = (done as { VersionId?: string }).VersionId;
    // The completion of a multipart upload carries no usable ETag on RGW: the HEAD of the version has it all.
    const head = await this.head(key, versionId);
    if (head === undefined)
      throw remoteError(
        Object.assign(new Error('the uploaded version is not there'), { name: 'NotFound' }),
        'head',
        this.bucket,
        key,
      );
    return head;
  }

  async head(key: string, versionId?: string): Promise<RemoteObject | undefined> {
    try {
      const h = await this.client.send(
        new this.sdk.HeadObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(versionId !== undefined ? { VersionId: versionId } : {}),
        }),
      );
      return toRemote(key, h);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw remoteError(err, 'head', this.bucket, key);
    }
  }

  async list(prefix: string): Promise<ListedVersion[]> {
    const out: ListedVersion[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    for (;;) {
      const r = await this.call('list versions', prefix, () =>
        this.client.send(
          new this.sdk.ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker, VersionIdMarker }),
        ),
      );
      for (const v of r.Versions ?? []) {
        if (v.Key === undefined || v.VersionId === undefined) continue;
        out.push({
          key: v.Key,
          versionId: v.VersionId,
          isLatest: v.IsLatest === true,
          lastModified: (v.LastModified ?? new Date(0)).toISOString(),
          bytes: v.Size ?? 0,
          etag: (v.ETag ?? '').replaceAll('"', ''),
        });
      }
      if (r.IsTruncated !== true) return out;
      KeyMarker = r.NextKeyMarker;
      VersionIdMarker = r.NextVersionIdMarker;
    }
  }

  async versions(key: string): Promise<RemoteObject[]> {
    const r = await this.call('list versions', key, () =>
      this.client.send(new this.sdk.ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: key })),
    );
    const out: RemoteObject[] = [];
    for (const v of r.Versions ?? []) {
      if (v.Key !== key || v.VersionId === undefined) continue;
      const h = await this.head(key, v.VersionId);
      if (h !== undefined) out.push(h);
    }
    return out;
  }

  async read(key: string, versionId: string): Promise<Readable> {
    const r = await this.call('read', key, () =>
      this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId })),
    );
    return r.Body as Readable;
  }

  async retainUntil(key: string, versionId: string, mode: LockMode, until: Date): Promise<void> {
    await this.call('extend retention', key, () =>
      this.client.send(
        new this.sdk.PutObjectRetentionCommand({
          Bucket: this.bucket,
          Key: key,
          VersionId: versionId,
          Retention: { Mode: mode, RetainUntilDate: until },
        }),
      ),
    );
  }

  async setLegalHold(key: string, versionId: string, on: boolean): Promise<void> {
    await this.call('legal hold', key, () =>
      this.client.send(
        new this.sdk.PutObjectLegalHoldCommand({
          Bucket: this.bucket,
          Key: key,
          VersionId: versionId,
          LegalHold: { Status: on ? 'ON' : 'OFF' },
        }),
      ),
    );
  }

  async deleteVersion(key: string, versionId: string): Promise<void> {
    await this.call('delete version', key, () =>
      this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId })),
    );
  }

  async abortIncomplete(key: string): Promise<number> {
    const r = await this.call('abort multipart', key, () =>
      this.client.send(new this.sdk.ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: key })),
    );
    let n = 0;
    for (const u of r.Uploads ?? []) {
      if (u.Key !== key || u.UploadId === undefined) continue;
      const UploadId = u.UploadId;
      await this.call('abort multipart', key, () =>
        this.client.send(new this.sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId })),
      );
      n += 1;
    }
    return n;
  }

  async putSmall(key: string, body: Uint8Array, lock?: { mode: LockMode; retainUntil: Date }): Promise<RemoteObject> {
    const r = await this.call('write anchor', key, () =>
      this.client.send(
        new this.sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/x-ndjson',
          ...(lock !== undefined ? { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: lock.retainUntil } : {}),
        }),
      ),
    );
    return {
      key,
      versionId: r.VersionId ?? 'null',
      etag: (r.ETag ?? '').replaceAll('"', ''),
      bytes: body.length,
      ...(lock !== undefined ? { lockMode: lock.mode, retainUntil: lock.retainUntil.toISOString() } : {}),
    };
  }

  close(): void {
    this.client.destroy();
  }
}
