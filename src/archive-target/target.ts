import type { Readable } from 'node:stream';

/** Object Lock retention of one object version. */
export type LockMode = 'COMPLIANCE' | 'GOVERNANCE';

/** One stored version of a day's `.db.zst` in the remote tier. */
export interface RemoteObject {
  key: string;
  versionId: string;
  etag: string;
  bytes: number;
  /** SHA-256 that tickdb stored with the object (user metadata `sha256`), when there is one. */
  sha256?: string | undefined;
  /** The sealed database's SHA-256, size and rows, stored with the object since DESIGN 12's rebuild (user metadata). */
  daySha256?: string | undefined;
  dayBytes?: number | undefined;
  rows?: number | undefined;
  lockMode?: LockMode | undefined;
  /** ISO-8601; the object version cannot be deleted before it (COMPLIANCE: by nobody). */
  retainUntil?: string | undefined;
  legalHold?: boolean | undefined;
}

/** One entry of a bucket listing (no lock or metadata: `head` has those). */
export interface ListedVersion {
  key: string;
  versionId: string;
  isLatest: boolean;
  lastModified: string;
  bytes: number;
  etag: string;
}

export interface PutOptions {
  sha256: string;
  bytes: number;
  /** The day's identity, stored with the object so that a lost metadata file can be rebuilt from the bucket. */
  day?: { sha256?: string | undefined; bytes?: number | undefined; rows?: number | undefined } | undefined;
  /** With Object Lock: the mode and retain-until date written with the object. */
  lock?: { mode: LockMode; retainUntil: Date } | undefined;
  legalHold?: boolean | undefined;
  /** Bytes sent so far, for progress and the upload-bytes metric. */
  onBytes?: ((bytes: number) => void) | undefined;
}

/**
 * An off-host archive: object storage holding one object per archived day, written once (in the manner of
 * Litestream's ReplicaClient). Every method names the bucket, the key and the operation in the errors it throws:
 * `TickdbError` REMOTE for a refusal (credentials, permission, lock), OFFLINE for a server that cannot be reached
 * after the retries, CONFIG for a bucket that is missing or has no Object Lock while the config asks for it.
 */
export interface ArchiveTarget {
  /** `s3://bucket/prefix`, for messages and the audit trail. */
  readonly location: string;
  readonly bucket: string;
  /** The key prefix every object of this host starts with (`{host}` expanded): empty or ending with `/`. */
  readonly prefix: string;
  /** The object key of a day. */
  keyFor(dataset: string, day: string): string;
  /** Checks at start that the bucket exists and, when the config asks for a lock, that it has Object Lock. */
  checkBucket(wantLock: boolean): Promise<void>;
  /** Uploads a local file (multipart above a threshold, Content-MD5 on every request that carries data). */
  put(path: string, key: string, options: PutOptions): Promise<RemoteObject>;
  /** The version's size, ETag, lock and metadata; undefined when the version (or the key) does not exist. */
  head(key: string, versionId?: string): Promise<RemoteObject | undefined>;
  /** Every object version (delete markers left out) whose key starts with `prefix`, in the server's order. */
  list(prefix: string): Promise<ListedVersion[]>;
  /** Every version of `key`, newest first. */
  versions(key: string): Promise<RemoteObject[]>;
  /** The bytes of a version, streamed. */
  read(key: string, versionId: string): Promise<Readable>;
  /** Extends (never shortens) the retention of a version. */
  retainUntil(key: string, versionId: string, mode: LockMode, until: Date): Promise<void>;
  setLegalHold(key: string, versionId: string, on: boolean): Promise<void>;
  /** Deletes a version for good; REMOTE with `locked: true` when its retention or legal hold forbids it. */
  deleteVersion(key: string, versionId: string): Promise<void>;
  /** Aborts the multipart uploads of `key` left by a killed run; returns how many there were. */
  abortIncomplete(key: string): Promise<number>;
  /** Writes a small object in one PUT (Content-MD5), e.g. a day of the audit trail; with `lock`, under Object Lock. */
  putSmall(key: string, body: Uint8Array, lock?: { mode: LockMode; retainUntil: Date }): Promise<RemoteObject>;
  close(): void;
}
