import { readBackText } from '../archive-target/read-back.js';
import { retainUntilFor, testRetentionOverride } from '../archive-target/retention.js';
import type { ArchiveTarget, RemoteObject } from '../archive-target/target.js';
import type { Config } from '../config/schema.js';
import { TickdbError } from '../errors.js';
import { addDays, dayOf } from '../layout/day.js';
import { auditPath } from '../layout/tiers.js';
import type { Logger } from '../log.js';
import { readAuditText } from '../store/audit.js';
import { anchorGroups } from '../store/audit-anchor.js';
import type { DayStore } from './day-store.js';
import { longestRetention, retentionDaysByDataset } from './plan-object-lock.js';
import type { RemoteArchive } from './exec-context.js';

export interface AnchorOutcome {
  /** Days written to the bucket (or found there already) this pass. */
  anchored: string[];
  /** The oldest day still waiting for the bucket (unreachable), if any. */
  waiting?: string;
  /** A failure that makes the pass's job fail (a denied permission, a damaged trail). */
  error?: string;
}

/** `PREFIX` + `_audit/YYYY-MM-DD.jsonl`. */
export function anchorKey(target: ArchiveTarget, day: string): string {
  return `${target.prefix}_audit/${day}.jsonl`;
}

/** Retained as long as the longest-kept data (max of purgeAfterDays and minimumRetentionDays over the datasets). */
function anchorLock(
  config: Config,
  remote: RemoteArchive,
  day: string,
): { mode: 'COMPLIANCE' | 'GOVERNANCE'; retainUntil: Date } | undefined {
  const mode = remote.config.objectLock?.mode;
  if (mode === undefined) return undefined;
  const days = longestRetention(retentionDaysByDataset(config));
  const retainUntil = testRetentionOverride() ?? retainUntilFor(day, days, 0);
  return retainUntil.getTime() > Date.now() ? { mode, retainUntil } : undefined;
}

/** The latest version of the key when it holds exactly `body` (a pass killed after its PUT), else undefined. */
async function alreadyThere(target: ArchiveTarget, key: string, body: string): Promise<RemoteObject | undefined> {
  const latest = (await target.list(key)).find((v) => v.key === key && v.isLatest);
  if (latest === undefined) return undefined;
  if ((await readBackText(target, key, latest.versionId)) !== body) return undefined;
  return { key, versionId: latest.versionId, etag: '', bytes: Buffer.byteLength(body) };
}

/**
 * Writes each finished UTC day of the audit trail to the bucket, under the archive's Object Lock (DESIGN 12):
 * the day's lines as they are in `db/audit.jsonl`, then the chain's head after them. Runs at the end of each pass
 * that opened the bucket; reads the trail only when a day ended since the last check. Idempotent (a version that
 * already holds the same bytes is adopted). An unreachable server leaves the days waiting (a backlog, logged),
 * caught up by a later pass; a denied permission or a trail that does not chain fails the pass's job.
 */
export async function anchorAudit(
  store: DayStore,
  remote: RemoteArchive,
  config: Config,
  logger: Logger,
  now: Date,
): Promise<AnchorOutcome> {
  const today = dayOf(now);
  const yesterday = addDays(today, -1);
  const last = store.metadata.auditAnchor;
  if (last !== undefined && last.checkedThrough >= yesterday) return { anchored: [] };
  const path = auditPath(store.dirs);
  const text = await readAuditText(store.dirs);
  const { groups, problem } = anchorGroups(text, last, today);
  const anchored: string[] = [];
  if (remote.refused !== undefined) return { anchored, error: remote.refused.message };
  for (const g of groups) {
    if (remote.offline !== undefined) break;
    const key = anchorKey(remote.target, g.day);
    let stored: RemoteObject;
    try {
      stored =
        (await alreadyThere(remote.target, key, g.body)) ??
        (await remote.target.putSmall(key, Buffer.from(g.body), anchorLock(config, remote, g.day)));
    } catch (err) {
      if (err instanceof TickdbError && err.code === 'OFFLINE') {
        remote.offline = err;
        break;
      }
      return { anchored, error: err instanceof Error ? err.message : String(err) };
    }
    store.metadata.auditAnchor = {
      day: g.day,
      seq: g.lastSeq,
      hash: g.head,
      key,
      versionId: stored.versionId,
      at: now.toISOString(),
      checkedThrough: store.metadata.auditAnchor?.checkedThrough ?? g.day,
    };
    await store.save();
    anchored.push(g.day);
    logger.info(
      { job: 'archive', day: g.day },
      `audit trail of ${g.day} (seq ${g.firstSeq}-${g.lastSeq}) anchored in s3://${remote.target.bucket}/${key}`,
    );
  }
  const waiting = groups[anchored.length];
  if (waiting !== undefined && remote.offline !== undefined) {
    logger.warn(
      { job: 'archive', day: waiting.day },
      `audit trail: ${groups.length - anchored.length} day(s) wait for the bucket (oldest ${waiting.day}): ${remote.offline.message}`,
    );
    return { anchored, waiting: waiting.day };
  }
  if (problem !== undefined) {
    logger.error({ job: 'archive', path }, `audit trail not anchored further: ${problem}; run tickdb audit verify`);
    return { anchored, error: `audit trail not anchored further: ${problem}` };
  }
  const a = store.metadata.auditAnchor;
  if (a !== undefined) {
    a.checkedThrough = yesterday;
    await store.save();
  }
  return { anchored };
}

/**
 * When the longest retention grows, the days of the audit trail already in the bucket are extended like the data
 * (DESIGN 12): every version under `_audit/` whose retain-until is earlier than its day + the new longest retention.
 * One audit line for them all. Returns false when the bucket could not be reached (the next pass tries again).
 */
export async function extendAnchors(store: DayStore, remote: RemoteArchive, config: Config): Promise<boolean> {
  if (remote.offline !== undefined || remote.refused !== undefined) return false;
  if (remote.config.objectLock === undefined || testRetentionOverride() !== undefined) return true;
  const { target } = remote;
  const extended: string[] = [];
  let until: string | undefined;
  try {
    for (const v of await target.list(`${target.prefix}_audit/`)) {
      const want = anchorLock(config, remote, v.key.slice(-16, -6));
      const h = await target.head(v.key, v.versionId);
      if (want === undefined || h === undefined) continue;
      if (h.retainUntil !== undefined && Date.parse(h.retainUntil) >= want.retainUntil.getTime()) continue;
      await target.retainUntil(v.key, v.versionId, h.lockMode ?? want.mode, want.retainUntil);
      extended.push(`${v.key} (version ${v.versionId})`);
      until = want.retainUntil.toISOString();
    }
  } catch (err) {
    if (err instanceof TickdbError && err.code === 'OFFLINE') {
      remote.offline = err;
      return false;
    }
    throw err;
  }
  if (extended.length > 0)
    await store.audit({ event: 'retention-extended', bucket: target.bucket, objects: extended, retainUntil: until });
  return true;
}
