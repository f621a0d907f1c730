import { formatBytes } from '../../format-bytes.js';
import { dayOf } from '../../layout/day.js';
import { dayKey, dayPath } from '../../layout/tiers.js';
import { assessWal, STARVATION_MS } from '../../wal/wal-assess.js';
import { formatDuration, outcome, type CheckOutput, type CheckResult, type PerfDatum } from './check-result.js';
import type { StatusFacts } from './facts.js';

const OLD_SQLITE_HINT =
  'upgrade the SQLite the writer links (3.51.3 or later): older ones can corrupt a WAL database when two connections write and checkpoint at once (sqlite.org/wal.html)';
const STARVED_HINT =
  "a connection holding a read transaction open stops checkpoints (Litestream #1536): find it (lsof on the -wal, the writer's readers), end its transaction, or restart the writer; the -wal shrinks at the next checkpoint";

/**
 * Check 12: today's `-wal` of each dataset (the writer's file: read as bytes only). WARNING above `walWarnBytes`;
 * WARNING when the agent's samples show it grew for an hour in one WAL generation past the autocheckpoint
 * threshold (checkpoint starvation); WARNING when the database was last written by a SQLite older than 3.51.3.
 */
export function checkWal(f: Pick<StatusFacts, 'now' | 'config' | 'dirs' | 'scan' | 'walSamples'>): CheckOutput {
  const today = dayOf(f.now);
  const limit = f.config.walWarnBytes;
  const problems: CheckResult[] = [];
  const perf: PerfDatum[] = [];
  const ok: string[] = [];
  for (const { prefix } of f.config.datasets) {
    const key = dayKey(prefix, today);
    const file = f.scan.days.get(key)?.db;
    if (file === undefined) continue; // the today check reports a missing database
    const path = `${dayPath(f.dirs, 'db', prefix, today, 'db')}-wal`;
    const base = { name: 'wal' as const, dataset: prefix, day: today, path };
    const a = assessWal(f.walSamples, prefix, today, f.now);
    perf.push({ label: `wal_${prefix}`, value: file.walBytes, uom: 'B', warn: String(limit), min: 0 });
    if (file.walBytes > limit) {
      problems.push({
        ...base,
        status: 'WARNING',
        brief: `${key} -wal ${formatBytes(file.walBytes)}`,
        message: `today's -wal of ${key} is ${formatBytes(file.walBytes)}, above walWarnBytes (${formatBytes(limit)}): checkpoints are not keeping up`,
        hint: STARVED_HINT,
      });
    }
    if (a.starved && a.growth !== undefined) {
      problems.push({
        ...base,
        status: 'WARNING',
        brief: `${key} -wal growing ${formatDuration(a.growingMs)} without a checkpoint`,
        message:
          `today's -wal of ${key} has grown for ${formatDuration(a.growingMs)} without a checkpoint (more than ${STARVATION_MS / 60_000} min): ` +
          `${a.growth.fromFrames} -> ${a.growth.toFrames} frames, ${formatBytes(a.growth.fromBytes)} -> ${formatBytes(a.growth.toBytes)} since ${a.growth.since}`,
        hint: STARVED_HINT,
      });
    }
    if (a.writerTooOld && a.writer !== undefined) {
      problems.push({
        ...base,
        status: 'WARNING',
        brief: `${key} written by SQLite ${a.writer.text}`,
        message: `${key} was last written by SQLite ${a.writer.text} (header of page 1 in the ${a.writer.source === 'wal' ? '-wal' : 'database file'}), older than 3.51.3`,
        hint: OLD_SQLITE_HINT,
      });
    }
    const writer =
      a.writer === undefined ? 'writer unknown' : `SQLite ${a.writer.text}${a.writer.valid ? '' : ' (stale header)'}`;
    const sampled =
      a.sampledAt === undefined
        ? 'no sample yet'
        : a.stale
          ? `last sample ${a.sampledAt}, stale: is the agent running?`
          : `sampled ${a.sampledAt}`;
    ok.push(`${key} -wal ${formatBytes(file.walBytes)} (${writer}; ${sampled})`);
  }
  return outcome('wal', problems, ok.length === 0 ? 'no database for today' : `today's WAL: ${ok.join(', ')}`, perf);
}
