import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openS3Target } from '../archive-target/open-target.js';
import type { ArchiveTarget } from '../archive-target/target.js';
import { retainUntilFor, testRetentionOverride } from '../archive-target/retention.js';
import type { Config } from '../config/schema.js';
import { describeError, isTickdbError } from '../errors.js';
import type { TierDirs } from '../layout/tiers.js';
import { objectLockPolicy } from '../lifecycle/plan-object-lock.js';
import type { DayRecord, Metadata, RemoteRecord } from '../store/metadata-types.js';
import { decompressFile } from '../zstd/index.js';
import { fetchRemoteDay } from './fetch-remote.js';
import { scratchDir } from './scratch-dir.js';
import type { VerifyProblem, VerifyProblemKind, VerifyReport } from './verify-tree.js';

export interface RemoteVerifyOptions {
  deep: boolean;
  threads: number;
  onProgress?: (label: string, bytesDone: number, totalBytes: number) => void;
}

type Report = (kind: VerifyProblemKind, expected: string, found: string) => void;

/** The days whose record names an object version in the S3 archive (not purged). */
function remoteRecords(metadata: Metadata): [string, DayRecord & { remote: RemoteRecord }][] {
  return Object.entries(metadata.days)
    .filter((e): e is [string, DayRecord & { remote: RemoteRecord }] => e[1].remote !== undefined)
    .filter(([, r]) => r.state !== 'purged')
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

/**
 * The retention the configuration asks of a day's object, as the Object Lock planner reads it (objectLockPolicy:
 * mode and days of retention per configured dataset), when the date is still ahead (a date already past is not set
 * at upload: the server refuses it). Undefined for a dataset no longer configured, which nothing plans either.
 */
function policyRetention(
  policy: ReturnType<typeof objectLockPolicy>,
  rec: DayRecord,
  now: number,
): { mode: string; until: Date } | undefined {
  const days = policy?.retentionDays[rec.dataset];
  if (policy === undefined || days === undefined) return undefined;
  const until = retainUntilFor(rec.day, days, 0);
  return until.getTime() > now ? { mode: policy.mode, until } : undefined;
}

/**
 * Existence, size, ETag, stored SHA-256, retention (as recorded, and at least what the configuration asks) and
 * legal hold of one version, from its HEAD (no download).
 */
async function checkHead(
  target: ArchiveTarget,
  rec: DayRecord,
  r: RemoteRecord,
  policy: { mode: string; until: Date } | undefined,
  report: Report,
): Promise<boolean> {
  const h = await target.head(r.key, r.versionId);
  if (h === undefined) {
    report('missing', `object version ${r.versionId}, ${r.bytes} bytes`, 'no such version in the bucket');
    return false;
  }
  if (h.bytes !== r.bytes) report('size', `${r.bytes} bytes`, `${h.bytes} bytes`);
  if (h.etag !== r.etag) report('etag', `ETag ${r.etag}`, `ETag ${h.etag}`);
  const want = rec.zstSha256 ?? r.sha256;
  if (h.sha256 !== undefined && h.sha256 !== want) report('sha256', `stored SHA-256 ${want}`, `${h.sha256}`);
  if (r.retainUntil !== undefined) {
    const have = h.retainUntil === undefined ? 0 : Date.parse(h.retainUntil);
    if (h.lockMode === undefined || have < Date.parse(r.retainUntil))
      report(
        'retention',
        `${r.lockMode ?? 'locked'} until ${r.retainUntil}`,
        h.lockMode === undefined ? 'no retention' : `${h.lockMode} until ${h.retainUntil ?? '?'}`,
      );
    else if (r.lockMode !== undefined && h.lockMode !== r.lockMode)
      report('retention', `mode ${r.lockMode}`, `mode ${h.lockMode}`);
  }
  if (policy !== undefined && r.retainUntil === undefined) {
    // A record without retention while the policy asks for one: the object must carry it all the same.
    const have = h.retainUntil === undefined ? 0 : Date.parse(h.retainUntil);
    if (h.lockMode === undefined || have < policy.until.getTime())
      report(
        'retention',
        `${policy.mode} until ${policy.until.toISOString()} (purgeAfterDays, minimumRetentionDays)`,
        `${h.lockMode === undefined ? 'no retention' : `${h.lockMode} until ${h.retainUntil ?? '?'}`} (the next run sets it)`,
      );
  }
  if (r.legalHold === true && h.legalHold !== true) report('legal-hold', 'legal hold ON', 'legal hold OFF');
  return true;
}

/** Downloads the version (through fetchRemoteDay: size and SHA-256 checked as it streams), then its content. */
async function checkBytes(
  config: Config,
  dirs: TierDirs,
  rec: DayRecord,
  threads: number,
  report: Report,
): Promise<void> {
  const dir = await scratchDir(dirs, 'verify');
  const corrupt = (err: unknown): boolean => isTickdbError(err) && err.code === 'CORRUPT';
  try {
    const zst = join(dir, `${rec.dataset}_${rec.day}.db.zst`);
    try {
      await fetchRemoteDay(config, rec, zst);
    } catch (err) {
      if (!corrupt(err)) throw err;
      report(
        'sha256',
        `${rec.remote?.bytes ?? '?'} bytes, sha256 ${rec.zstSha256 ?? rec.remote?.sha256}`,
        describeError(err),
      );
      return;
    }
    if (rec.sha256 === undefined) return;
    try {
      const content = await decompressFile(zst, null, { threads });
      if (content.sha256 !== rec.sha256)
        report('content', `decompresses to sha256 ${rec.sha256}`, `sha256 ${content.sha256}`);
    } catch (err) {
      if (!corrupt(err)) throw err;
      report('content', `decompresses to sha256 ${rec.sha256}`, describeError(err));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Checks every object version the metadata records in the S3 archive (DESIGN 12) and adds what it finds to the
 * report: without downloading, that the version exists with the recorded size, ETag and SHA-256 (the one stored
 * with it), and that its retention is at least the recorded date in the recorded mode, and its legal hold on
 * when recorded on; `deep` also downloads it, checks size and SHA-256 as it streams, and decompresses it against
 * the sealed database's SHA-256. A server that cannot be reached is one problem, and the objects after it are
 * left unchecked (said in a note).
 */
export async function verifyRemote(
  config: Config,
  dirs: TierDirs,
  metadata: Metadata,
  report: VerifyReport,
  options: RemoteVerifyOptions,
): Promise<void> {
  const records = remoteRecords(metadata);
  if (records.length === 0) return;
  const add = (p: VerifyProblem): void => void report.problems.push(p);
  const c = config.archiveTarget;
  if (c?.type !== 's3') {
    for (const [key, rec] of records)
      add({
        key,
        path: `s3://${rec.remote.bucket}/${rec.remote.key}`,
        kind: 'unreadable',
        expected: 'archiveTarget of type s3 (the day is in an S3 archive)',
        found: `archiveTarget ${c?.type ?? 'absent'}`,
      });
    report.ok = false;
    return;
  }
  const target = await openS3Target(c);
  const total = records.reduce((s, [, r]) => s + (options.deep ? r.remote.bytes : 0), 0);
  // Under the test hook that writes short retentions on purpose, there is no policy to hold the objects to.
  const lockPolicy = testRetentionOverride() === undefined ? objectLockPolicy(config, []) : undefined;
  let done = 0;
  let checked = 0;
  try {
    for (const [i, [key, rec]] of records.entries()) {
      const r = rec.remote;
      const path = `s3://${r.bucket}/${r.key}`;
      const problem: Report = (kind, expected, found) => add({ key, path, kind, expected, found });
      options.onProgress?.(key, done, total);
      try {
        const policy = policyRetention(lockPolicy, rec, Date.now());
        if ((await checkHead(target, rec, r, policy, problem)) && options.deep)
          await checkBytes(config, dirs, rec, options.threads, problem);
        checked += 1;
        report.checkedBytes += options.deep ? r.bytes : 0;
        done += options.deep ? r.bytes : 0;
      } catch (err) {
        problem('unreadable', 'a readable object version', describeError(err));
        if (isTickdbError(err) && err.code === 'OFFLINE') {
          if (i + 1 < records.length)
            report.notes.push({
              message: `${records.length - i - 1} object(s) not checked: the server cannot be reached`,
            });
          break;
        }
      }
    }
  } finally {
    target.close();
  }
  report.checkedObjects = checked;
  report.notes.push({
    message: `${checked} object(s) checked in ${target.location}${options.deep ? ' (downloaded, hashed and decompressed)' : ' (HEAD: size, ETag, retention, legal hold)'}`,
  });
  report.ok = report.problems.length === 0;
}
