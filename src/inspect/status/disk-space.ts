import { stat, statfs } from 'node:fs/promises';
import { formatBytes } from '../../format-bytes.js';
import type { Config } from '../../config/schema.js';
import { describeError } from '../../errors.js';
import type { Tier, TierDirs } from '../../layout/tiers.js';
import { outcome, type CheckOutput, type CheckResult, type CheckStatus, type PerfDatum } from './check-result.js';
import { nearestExisting } from '../../fs/free-space.js';

/** Free space of the filesystem under one tier's directory (or under its nearest existing parent). */
export type DiskReading =
  | { tier: Tier; dir: string; measuredAt: string; device: number; totalBytes: number; availableBytes: number }
  | { tier: Tier; dir: string; error: string };

const TIERS: readonly Tier[] = ['db', 'backup', 'archive'];
/** A hung network mount must not hang the health check. */
const STATFS_TIMEOUT_MS = 1500;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms (a hung network mount?)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Uses `statfs(2)` directly: one call per tier, a few ms, and it answers for exactly the filesystem a directory
 * is on (bind mounts, NFS, tmpfs included). systeminformation's `fsSize()` was measured at ~130 ms to import plus
 * ~30 ms per call (it runs `df`), lists only some filesystem types and needs mount-point matching.
 */
export async function readDiskSpace(dirs: TierDirs): Promise<DiskReading[]> {
  return Promise.all(
    TIERS.map(async (tier): Promise<DiskReading> => {
      const dir = dirs[tier];
      try {
        const measuredAt = await nearestExisting(dir);
        const [st, fs] = await withTimeout(
          Promise.all([stat(measuredAt), statfs(measuredAt)]),
          STATFS_TIMEOUT_MS,
          `statfs ${measuredAt}`,
        );
        return {
          tier,
          dir,
          measuredAt,
          device: st.dev,
          totalBytes: fs.blocks * fs.bsize,
          availableBytes: fs.bavail * fs.bsize,
        };
      } catch (err) {
        return { tier, dir, error: describeError(err) };
      }
    }),
  );
}

/**
 * One result per filesystem (tiers that share one are reported together): free space, as available to the agent,
 * against `diskSpace.warnFreePercent` and `critFreePercent`.
 */
export function checkDiskSpace(readings: readonly DiskReading[], config: Pick<Config, 'diskSpace'>): CheckOutput {
  const { warnFreePercent: warn, critFreePercent: crit } = config.diskSpace;
  const problems: CheckResult[] = [];
  const perf: PerfDatum[] = [];
  const okParts: string[] = [];
  const byDevice = new Map<number, Extract<DiskReading, { device: number }>[]>();
  for (const r of readings) {
    if ('error' in r) {
      problems.push({
        name: 'disk',
        status: 'UNKNOWN',
        path: r.dir,
        brief: `${r.tier}: free space unknown`,
        message: `cannot read the free space of the ${r.tier} tier (${r.dir}): ${r.error}`,
        hint: 'check that the path is mounted and readable by this user',
      });
      continue;
    }
    byDevice.set(r.device, [...(byDevice.get(r.device) ?? []), r]);
  }
  for (const group of byDevice.values()) {
    const first = group[0];
    if (first === undefined) continue;
    const pct = first.totalBytes > 0 ? (first.availableBytes / first.totalBytes) * 100 : 0;
    const tiers = group.map((g) => g.tier).join(', ');
    const where = group.map((g) => (g.measuredAt === g.dir ? g.dir : `${g.dir} (not created yet)`)).join(', ');
    const amount = `${pct.toFixed(1)}% free (${formatBytes(first.availableBytes)} of ${formatBytes(first.totalBytes)})`;
    if (first.totalBytes === 0) {
      problems.push({
        name: 'disk',
        status: 'UNKNOWN',
        path: first.dir,
        brief: `${tiers}: free space unknown`,
        message: `the filesystem of ${tiers} reports no size: ${where}`,
        hint: 'check what is mounted there',
      });
      continue;
    }
    for (const g of group)
      perf.push({
        label: `${g.tier}_free`,
        value: Number(pct.toFixed(2)),
        uom: '%',
        warn: `${warn}:`,
        crit: `${crit}:`,
        min: 0,
        max: 100,
      });
    const status: CheckStatus = pct < crit ? 'CRITICAL' : pct < warn ? 'WARNING' : 'OK';
    if (status === 'OK') {
      okParts.push(`${tiers} ${pct.toFixed(1)}% free`);
      continue;
    }
    const limit = status === 'CRITICAL' ? `critFreePercent ${crit}%` : `warnFreePercent ${warn}%`;
    problems.push({
      name: 'disk',
      status,
      path: first.dir,
      brief: `${tiers} ${pct.toFixed(1)}% free`,
      message: `filesystem of ${tiers} is ${amount}, below ${limit}: ${where}`,
      hint: "free space there (or move the archive/backup tier to a larger disk); compress and archive need room for a full day's copy, and a full db/ stops the writer",
    });
  }
  return outcome('disk', problems, `free space: ${okParts.join('; ')}`, perf);
}
