import { stat } from 'node:fs/promises';
import type { DatasetConfig } from '../config/schema.js';
import { errnoOf, isTickdbError, describeError } from '../errors.js';
import type { DayFiles, TierFile, TierScan } from '../layout/scan.js';
import { dayPath, type TierDirs } from '../layout/tiers.js';
import { inspectDatabase } from '../sqlite/inspect-database.js';
import type { DayRecord, Metadata } from '../store/metadata-types.js';
import { sha256File } from '../fs/sha256.js';
import { decompressFile } from '../zstd/index.js';
import { checkAuditTrail, type AuditReport } from './audit-findings.js';

export type VerifyProblemKind =
  | 'missing'
  | 'size'
  | 'sha256'
  | 'content'
  | 'integrity'
  | 'modified'
  | 'extra-copy'
  | 'unreadable'
  | 'audit'
  | 'not-a-file'
  | 'etag'
  | 'retention'
  | 'legal-hold';

/** A file that does not match what the metadata records. */
export interface VerifyProblem {
  key: string;
  path: string;
  kind: VerifyProblemKind;
  expected: string;
  found: string;
}

export interface VerifyNote {
  key?: string;
  path?: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  deep: boolean;
  days: number;
  checkedFiles: number;
  checkedBytes: number;
  /** Object versions checked in the S3 archive (inspect/verify-remote.ts); absent without one. */
  checkedObjects?: number;
  problems: VerifyProblem[];
  notes: VerifyNote[];
  audit: AuditReport;
}

export interface VerifyOptions {
  deep: boolean;
  threads: number;
  datasets: readonly DatasetConfig[];
  onProgress?: (label: string, bytesDone: number, totalBytes: number) => void;
}

/** One file a day's record says exists, with what it must hash to. */
interface Check {
  key: string;
  rec: DayRecord;
  path: string;
  role: 'database' | 'compressed' | 'backup' | 'live';
  sha256?: string | undefined;
  bytes?: number | undefined;
  /** A file the metadata does not record (a backup it has no hash for): a mismatch is a note, not a problem. */
  advisory?: boolean;
}

const PRIMARY_SLOT: Partial<Record<DayRecord['state'], keyof DayFiles>> = {
  live: 'db',
  sealed: 'db',
  compressed: 'zst',
  archived: 'archive',
};

function checksFor(key: string, rec: DayRecord, dirs: TierDirs, notes: VerifyNote[]): Check[] {
  const out: Check[] = [];
  const at = (tier: 'db' | 'archive' | 'backup', kind: 'db' | 'zst'): string =>
    dayPath(dirs, tier, rec.dataset, rec.day, kind);
  if (rec.pendingDelete !== undefined) {
    notes.push({
      key,
      path: rec.pendingDelete,
      message: `${key}: an interrupted move (${rec.pendingDelete} awaits deletion); the next run completes or rolls it back`,
    });
  } else if (rec.state === 'quarantined') {
    notes.push({
      key,
      path: rec.quarantine?.path,
      message: `${key} is quarantined (${rec.quarantine?.reason ?? 'no reason recorded'}); not checked until released`,
    });
  } else if (rec.remote !== undefined) {
    // In the S3 archive: its object version is checked by verifyRemote (inspect/verify-remote.ts).
  } else if (rec.state === 'live') {
    out.push({ key, rec, path: at('db', 'db'), role: 'live' });
  } else if (rec.state === 'sealed') {
    out.push({ key, rec, path: at('db', 'db'), role: 'database', sha256: rec.sha256, bytes: rec.bytes });
  } else if (rec.state === 'compressed' || rec.state === 'archived') {
    out.push({
      key,
      rec,
      path: at(rec.state === 'archived' ? 'archive' : 'db', 'zst'),
      role: 'compressed',
      sha256: rec.zstSha256,
      bytes: rec.zstBytes,
    });
  }
  if (rec.backupSha256 !== undefined && rec.state !== 'purged') {
    out.push({
      key,
      rec,
      path: at('backup', 'db'),
      role: 'backup',
      sha256: rec.backupSha256,
      bytes: rec.sha256 === rec.backupSha256 ? rec.bytes : undefined,
    });
  }
  for (const c of out) {
    if (c.role !== 'live' && c.sha256 === undefined)
      notes.push({
        key,
        path: c.path,
        message: `${key}: no recorded SHA-256 for ${c.path} yet (the next run verifies and records it)`,
      });
  }
  return out;
}

/** Copies of a recorded day that its state does not account for (the next run would quarantine the day). */
function extraCopies(rec: DayRecord, files: DayFiles | undefined): TierFile[] {
  if (files === undefined || rec.pendingDelete !== undefined || rec.state === 'quarantined') return [];
  const slot = PRIMARY_SLOT[rec.state];
  const copies: [keyof DayFiles, TierFile | undefined][] = [
    ['db', files.db],
    ['zst', files.zst],
    ['archive', files.archive],
    ['archiveDb', files.archiveDb],
  ];
  return [
    ...copies.filter(([s, f]) => f !== undefined && s !== slot).map(([, f]) => f as TierFile),
    ...files.extra.filter((f) => f.tier !== 'backup'),
  ];
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The files the records of `keys` say exist, with what each must hash to; the copies they do not account for
 * (problems), and what cannot be checked yet (notes).
 */
function checksOfDays(
  keys: readonly string[],
  metadata: Metadata,
  scan: TierScan,
  dirs: TierDirs,
  problems: VerifyProblem[],
  notes: VerifyNote[],
): Check[] {
  const checks: Check[] = [];
  for (const key of keys) {
    const rec = metadata.days[key];
    if (rec === undefined) continue;
    checks.push(...checksFor(key, rec, dirs, notes));
    for (const f of extraCopies(rec, scan.days.get(key))) {
      problems.push({
        key,
        path: f.path,
        kind: 'extra-copy',
        expected: rec.state === 'purged' ? 'no file (the day was purged)' : `only the ${rec.state} copy`,
        found: `another copy of the day (${f.bytes} bytes)`,
      });
    }
    const backup = scan.days.get(key)?.backup;
    if (backup !== undefined && rec.backupSha256 === undefined && rec.state !== 'purged') {
      if (rec.sha256 === undefined)
        notes.push({
          key,
          path: backup.path,
          message: `${key}: backup ${backup.path} is not recorded and the day's SHA-256 is not known yet`,
        });
      else
        checks.push({
          key,
          rec,
          path: backup.path,
          role: 'backup',
          sha256: rec.sha256,
          bytes: rec.bytes,
          advisory: true,
        });
    }
  }
  return checks;
}

/** Checks each file (size, SHA-256, and with `deep` its content and integrity); returns the files and bytes read. */
async function runChecks(
  checks: readonly Check[],
  options: VerifyOptions,
  problems: VerifyProblem[],
  notes: VerifyNote[],
): Promise<{ checkedFiles: number; checkedBytes: number }> {
  const sizes = await Promise.all(checks.map((c) => sizeOf(c.path)));
  const totalBytes = sizes.reduce<number>((s, b) => s + (b ?? 0), 0);
  let doneBytes = 0;
  let checkedFiles = 0;
  const dataset = (prefix: string): DatasetConfig | undefined => options.datasets.find((d) => d.prefix === prefix);
  for (const [i, c] of checks.entries()) {
    const size = sizes[i];
    const report = (kind: VerifyProblemKind, expected: string, found: string): void => {
      if (c.advisory === true)
        notes.push({
          key: c.key,
          path: c.path,
          message: `${c.key}: unrecorded backup ${c.path} does not match the day (${kind}: expected ${expected}, found ${found})`,
        });
      else problems.push({ key: c.key, path: c.path, kind, expected, found });
    };
    options.onProgress?.(c.key, doneBytes, totalBytes);
    if (size === undefined) {
      report('missing', c.sha256 !== undefined ? `${c.role} file, sha256 ${c.sha256}` : `${c.role} file`, 'no file');
      continue;
    }
    checkedFiles++;
    doneBytes += size;
    if (c.role === 'live') continue;
    if (c.role === 'database') {
      const wal = await sizeOf(`${c.path}-wal`);
      if (wal !== undefined && wal > 0)
        report(
          'modified',
          'a sealed database without a -wal',
          `-wal of ${wal} bytes (something wrote to it after the seal)`,
        );
    }
    if (c.bytes !== undefined && size !== c.bytes) {
      report('size', `${c.bytes} bytes`, `${size} bytes`);
      continue;
    }
    try {
      let digest: string;
      if (options.deep && c.role === 'database') {
        const d = dataset(c.rec.dataset);
        const r = await inspectDatabase({
          op: 'inspect',
          path: c.path,
          table: d?.tableName ?? 'ticks',
          timestampColumn: d?.timestampColumn ?? 'ts',
        });
        if (r.status === 'corrupt') {
          report('integrity', 'integrity_check ok', r.problems.slice(0, 5).join('; '));
          continue;
        }
        if (r.status !== 'ok') {
          report(
            'unreadable',
            'a readable database',
            r.status === 'busy' ? `busy: ${r.detail}` : `${r.code}: ${r.message}`,
          );
          continue;
        }
        digest = r.sha256;
      } else {
        digest = (await sha256File(c.path)).sha256;
      }
      if (c.sha256 !== undefined && digest !== c.sha256) {
        report('sha256', c.sha256, digest);
        continue;
      }
      if (options.deep && c.role === 'compressed' && c.rec.sha256 !== undefined) {
        const content = await decompressFile(c.path, null, { threads: options.threads });
        if (content.sha256 !== c.rec.sha256)
          report('content', `decompresses to sha256 ${c.rec.sha256}`, `sha256 ${content.sha256}`);
      }
    } catch (err) {
      if (isTickdbError(err) && err.code === 'CORRUPT')
        report(
          'content',
          c.role === 'compressed' ? `decompresses to sha256 ${c.rec.sha256 ?? '?'}` : 'a valid file',
          describeError(err),
        );
      else report('unreadable', 'a readable file', describeError(err));
    }
  }
  options.onProgress?.('', totalBytes, totalBytes);
  return { checkedFiles, checkedBytes: doneBytes };
}

/**
 * Checks every file against the metadata: for each recorded day that is not purged, the file its state says
 * exists, with the recorded size and SHA-256 (the `.db` against `sha256`, the `.zst` against `zstSha256`, the
 * backup against `backupSha256`). `deep` also decompresses each `.zst` and compares its content with `sha256`,
 * and runs SQLite's integrity check on sealed databases. Then the audit chain. Live databases are only checked
 * for existence: the writer owns them. Read-only: nothing on disk changes.
 */
export async function verifyTree(
  dirs: TierDirs,
  metadata: Metadata,
  scan: TierScan,
  options: VerifyOptions,
): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const notes: VerifyNote[] = [];
  const keys = Object.keys(metadata.days).sort();
  const checks = checksOfDays(keys, metadata, scan, dirs, problems, notes);
  const unrecorded = [...scan.days.keys()].filter((k) => metadata.days[k] === undefined).sort();
  if (unrecorded.length > 0) {
    notes.push({
      message: `${unrecorded.length} day(s) on disk not recorded in metadata (the next run adopts them): ${unrecorded.slice(0, 5).join(', ')}${unrecorded.length > 5 ? ', ...' : ''}`,
    });
  }
  for (const a of scan.anomalies) {
    if (a.kind === 'not-a-file') {
      problems.push({
        key: a.dataset !== undefined && a.day !== undefined ? `${a.dataset}/${a.day}` : '',
        path: a.path,
        kind: 'not-a-file',
        expected: 'a regular file or nothing',
        found: `${a.entryType ?? 'a non-regular entry'} (never followed): ${a.message}`,
      });
    } else if (a.kind !== 'duplicate-day') notes.push({ path: a.path, message: a.message });
  }

  const { checkedFiles, checkedBytes } = await runChecks(checks, options, problems, notes);

  const audit = await checkAuditTrail(dirs, metadata.audit);
  for (const f of audit.findings)
    problems.push({
      key: '',
      path: `${audit.path}:${f.line}`,
      kind: 'audit',
      expected: 'an intact hash chain',
      found: `${f.kind}: ${f.message}`,
    });
  if (audit.beyondCheckpoint > 0) {
    notes.push({
      path: audit.path,
      message: `${audit.beyondCheckpoint} audit line(s) after the metadata checkpoint (a crash between the audit append and the metadata write); not a failure`,
    });
  }
  return {
    ok: problems.length === 0,
    deep: options.deep,
    days: keys.length,
    checkedFiles,
    checkedBytes,
    problems,
    notes,
    audit,
  };
}

/** The problems a check of a day's local files makes, which a second check of the day makes again or not. */
const LOCAL_KINDS: ReadonlySet<VerifyProblemKind> = new Set([
  'missing',
  'size',
  'sha256',
  'content',
  'integrity',
  'modified',
  'extra-copy',
  'unreadable',
]);

/**
 * Checks again, from a settled view (store/settled-view.ts), the days with a problem of their local files whose
 * record the agent changed while `report` was made: verify takes no lock, and a day compressed, archived or purged
 * meanwhile is found missing or unreadable where the first metadata put it. Their local problems are replaced by
 * those of the second look (a real one stays a problem), with a note naming them. Kept as found: the problems of
 * other kinds (S3 objects, entries that are not files), and every problem of a day that is in the middle of a move
 * (`pendingDelete`) or now only in S3 in the second look, which the second look does not check. `first` is the
 * metadata the report was made from.
 */
export async function recheckChangedDays(
  dirs: TierDirs,
  first: Metadata,
  report: VerifyReport,
  options: VerifyOptions,
  view: (keys: string[]) => Promise<{ metadata: Metadata; scan: TierScan }>,
): Promise<void> {
  const local = (p: VerifyProblem): boolean => p.key !== '' && LOCAL_KINDS.has(p.kind);
  const suspects = new Set(report.problems.filter(local).map((p) => p.key));
  if (suspects.size === 0) return;
  const { metadata, scan } = await view([...suspects]);
  const changed = new Set(
    [...suspects].filter((k) => {
      const now = metadata.days[k];
      if (JSON.stringify(now) === JSON.stringify(first.days[k])) return false;
      return now === undefined || (now.pendingDelete === undefined && now.remote === undefined);
    }),
  );
  if (changed.size === 0) return;
  // The second look: the changed days' files only (their problems are all of local kinds, their notes name them).
  const problems: VerifyProblem[] = [];
  const notes: VerifyNote[] = [];
  await runChecks(checksOfDays([...changed].sort(), metadata, scan, dirs, problems, notes), options, problems, notes);
  const replaced = (p: VerifyProblem): boolean => changed.has(p.key) && LOCAL_KINDS.has(p.kind);
  report.problems = [...report.problems.filter((p) => !replaced(p)), ...problems];
  report.notes = [...report.notes.filter((n) => n.key === undefined || !changed.has(n.key)), ...notes];
  report.notes.push({
    message: `${changed.size} day(s) changed by another process during this check were checked again as they are now: ${[...changed].join(', ')}`,
  });
  report.ok = report.problems.length === 0;
}
