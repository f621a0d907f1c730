import type { DayFiles } from '../layout/scan.js';
import { dayPath, type FileKind, type Tier, type TierDirs } from '../layout/tiers.js';
import type { DayRecord } from '../store/metadata-types.js';
import type { CopyCheck, CopyTier, StoredCopy } from './drill-types.js';
import { mulberry32 } from '../prng.js';

/** Why a recorded day cannot be drilled, or undefined when it can. */
export function notDrillable(rec: DayRecord): string | undefined {
  if (rec.state === 'quarantined') return `quarantined (${rec.quarantine?.reason ?? 'no reason recorded'})`;
  if (rec.pendingDelete !== undefined) return 'an interrupted move is pending (the next run finishes it)';
  if (rec.state === 'live') return 'not sealed yet';
  if (rec.state === 'purged') return 'purged';
  if (rec.sha256 === undefined) return 'no recorded SHA-256 (the next run verifies the day and records it)';
  return undefined;
}

/**
 * The local copies of a day that its record vouches for: the primary copy where its state puts it (the sealed
 * `.db`, the `.db.zst` in db/, or the archived `.db.zst`) and the backup once it is recorded as the sealed day's
 * copy. A file the record does not account for is the planner's business (a duplicate is quarantined there).
 */
export function localCopies(rec: DayRecord, files: DayFiles | undefined): StoredCopy[] {
  return recordedCopies(rec, files).flatMap(({ tier, kind, file }) =>
    file === undefined ? [] : [{ tier, kind, location: file.path, bytes: file.bytes }],
  );
}

/**
 * The copies the record vouches for (as localCopies) whose file is not on disk, at the path where each belongs: a
 * drill by hand reports them as failed checks (nothing to quarantine: there is no file).
 */
export function missingCopies(rec: DayRecord, files: DayFiles | undefined, dirs: TierDirs): CopyCheck[] {
  return recordedCopies(rec, files).flatMap(({ tier, kind, file }) => {
    if (file !== undefined) return [];
    const location = dayPath(dirs, tier, rec.dataset, rec.day, kind);
    return [
      {
        tier,
        location,
        ok: false,
        bad: false,
        message: `the ${kind === 'zst' ? '.db.zst' : '.db'} the metadata records in the ${tier} tier is not there (\`tickdb verify\` lists what is missing)`,
        ms: 0,
      },
    ];
  });
}

function recordedCopies(
  rec: DayRecord,
  files: DayFiles | undefined,
): { tier: Tier; kind: FileKind; file: { path: string; bytes: number } | undefined }[] {
  const out: { tier: Tier; kind: FileKind; file: { path: string; bytes: number } | undefined }[] = [];
  if (rec.state === 'sealed') out.push({ tier: 'db', kind: 'db', file: files?.db });
  if (rec.state === 'compressed') out.push({ tier: 'db', kind: 'zst', file: files?.zst });
  // A day in the S3 archive keeps its local archived copy only with keepLocalCopy: not missing when absent.
  if (rec.state === 'archived' && (rec.remote === undefined || files?.archive !== undefined))
    out.push({ tier: 'archive', kind: 'zst', file: files?.archive });
  if (rec.backupSha256 !== undefined && rec.backupSha256 === rec.sha256)
    out.push({ tier: 'backup', kind: 'db', file: files?.backup });
  return out;
}

/** A drillable day and the tiers that hold a copy of it. */
export interface DrillCandidate {
  key: string;
  age: number;
  tiers: readonly CopyTier[];
}

/** A day picked for one tier: the drill restores that tier's copy of it. */
export interface DrillPick {
  tier: CopyTier;
  key: string;
}

/**
 * The scheduled drill's choice: for each tier, one day among those with a copy there, at random, weighted by age
 * (a day twice as old is twice as likely: old copies are read least and rot unseen longest). Pure: `random`
 * returns numbers in [0, 1).
 */
export function pickDrillDays(
  candidates: readonly DrillCandidate[],
  tiers: readonly CopyTier[],
  random: () => number,
): DrillPick[] {
  const picks: DrillPick[] = [];
  for (const tier of tiers) {
    const pool = candidates.filter((c) => c.tiers.includes(tier));
    const total = pool.reduce((s, c) => s + Math.max(1, c.age), 0);
    let x = random() * total;
    for (const c of pool) {
      x -= Math.max(1, c.age);
      if (x < 0) {
        picks.push({ tier, key: c.key });
        break;
      }
    }
  }
  return picks;
}

/** The drill's random choice, replayable with `--seed`. */
export function seededRandom(seed: number): () => number {
  return mulberry32(seed);
}
