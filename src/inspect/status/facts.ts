import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Config } from '../../config/schema.js';
import { describeError, errnoOf } from '../../errors.js';
import { addDays, dayOf } from '../../layout/day.js';
import { scanTiers, type TierScan } from '../../layout/scan.js';
import { dayKey, metadataPath, type TierDirs } from '../../layout/tiers.js';
import { verifyAudit, type AuditVerification } from '../../store/audit.js';
import { isLiveHolder, readLock, type LockInfo } from '../../store/lock.js';
import { readMetadata, type MetadataRead } from '../../store/metadata.js';
import { readWalSamples, type WalSample } from '../../wal/wal-samples.js';
import { readDiskSpace, type DiskReading } from './disk-space.js';

/** Who holds `db/tickdb.lock`, if anyone, and whether that process is alive. */
export interface LockFacts {
  info: LockInfo;
  live: boolean;
}

/**
 * Everything `status` looks at, read once and only read: the checks are pure functions of this, so each rule is
 * a unit test with plain data. Nothing here is hashed except the audit trail's lines (small); no file is written.
 */
export interface StatusFacts {
  now: Date;
  config: Config;
  dirs: TierDirs;
  scan: TierScan;
  metadata: MetadataRead;
  /** Older metadata files kept aside next to the current one (`rotation_metadata.json.<reason>-<stamp>`). */
  keptAside: string[];
  lock: LockFacts | undefined;
  audit: AuditVerification | { error: string };
  disk: DiskReading[];
  /** For today's and tomorrow's files that exist: undefined when this user may write them, else why not. */
  writable: Record<string, WriteDenied | undefined>;
  /** The user running status (undefined on Windows). */
  uid: number | undefined;
  /** The agent's samples of today's -wal (db/wal_samples.json); none when it has not sampled. */
  walSamples: WalSample[];
}

/** Why access(W_OK) refused a file, and who owns it (the writer may run as that user, not as us). */
export interface WriteDenied {
  code: string;
  ownerUid: number;
}

export interface GatherInput {
  config: Config;
  dirs: TierDirs;
  now: Date;
}

function sameRead(a: MetadataRead, b: MetadataRead): boolean {
  return a.found === b.found && a.problem === b.problem && JSON.stringify(a.metadata) === JSON.stringify(b.metadata);
}

/**
 * Metadata and scan as one consistent picture: metadata is read before and after the scan, and the pair is
 * retried (up to 3 times) when a running agent changed it meanwhile, so that a step in flight (a compress that
 * has just renamed its output) does not look like a missing file.
 */
async function readState(
  config: Config,
  dirs: TierDirs,
  now: Date,
): Promise<{ scan: TierScan; metadata: MetadataRead }> {
  const prefixes = config.datasets.map((d) => d.prefix);
  let before = await readMetadata(dirs, now);
  for (let attempt = 1; ; attempt++) {
    const scan = await scanTiers(dirs, prefixes);
    const after = await readMetadata(dirs, now);
    if (sameRead(before, after) || attempt >= 3) return { scan, metadata: after };
    before = after;
  }
}

async function keptAsideFiles(dirs: TierDirs): Promise<string[]> {
  const name = basename(metadataPath(dirs));
  try {
    const entries = await readdir(dirs.db);
    return entries.filter((e) => e.startsWith(`${name}.`) && !e.endsWith('.tmp')).sort();
  } catch {
    return [];
  }
}

async function writableFiles(
  config: Config,
  scan: TierScan,
  now: Date,
): Promise<Record<string, WriteDenied | undefined>> {
  const out: Record<string, WriteDenied | undefined> = {};
  const today = dayOf(now);
  for (const dataset of config.datasets) {
    for (const day of [today, addDays(today, 1)]) {
      const file = scan.days.get(dayKey(dataset.prefix, day))?.db;
      if (file === undefined) continue;
      try {
        await access(file.path, constants.W_OK);
        out[file.path] = undefined;
      } catch (err) {
        const ownerUid = await stat(file.path).then(
          (st) => st.uid,
          () => -1,
        );
        out[file.path] = { code: errnoOf(err) ?? describeError(err), ownerUid };
      }
    }
  }
  return out;
}

/** Reads what the checks need. Throws only when the tree cannot be scanned or the metadata cannot be read. */
export async function gatherFacts({ config, dirs, now }: GatherInput): Promise<StatusFacts> {
  const { scan, metadata } = await readState(config, dirs, now);
  const [keptAside, lockInfo, audit, disk, writable, walSamples] = await Promise.all([
    keptAsideFiles(dirs),
    readLock(dirs),
    // Read after the metadata: the trail is appended before the checkpoint is saved, so it is never behind it.
    verifyAudit(dirs, metadata.found ? metadata.metadata.audit : undefined).catch((err: unknown) => ({
      error: describeError(err),
    })),
    readDiskSpace(dirs),
    writableFiles(config, scan, now),
    readWalSamples(dirs).catch((): WalSample[] => []),
  ]);
  const lock = lockInfo === undefined ? undefined : { info: lockInfo, live: isLiveHolder(lockInfo) };
  return {
    now,
    config,
    dirs,
    scan,
    metadata,
    keptAside,
    lock,
    audit,
    disk,
    writable,
    uid: process.getuid?.(),
    walSamples,
  };
}
