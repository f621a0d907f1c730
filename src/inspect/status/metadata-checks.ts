import { ageOf, dayOf } from '../../layout/day.js';
import type { DayFiles, TierFile } from '../../layout/scan.js';
import { dayKey, dayPath, metadataPath, type Tier } from '../../layout/tiers.js';
import type { DayRecord } from '../../store/metadata-types.js';
import { outcome, type CheckOutput, type CheckResult } from './check-result.js';
import type { StatusFacts } from './facts.js';

const REBUILD_HINT =
  'the agent keeps an unusable file aside and rebuilds the metadata at its next run; `tickdb verify --rebuild` does it now';

type Facts = Pick<StatusFacts, 'now' | 'dirs' | 'scan' | 'metadata' | 'keptAside' | 'lock'>;

/** Where a record's state says its one good copy is, and the size it must have. */
function expectedCopy(
  rec: DayRecord,
): { slot: 'db' | 'zst' | 'archive'; tier: Tier; kind: 'db' | 'zst'; bytes: number | undefined } | undefined {
  switch (rec.state) {
    case 'live':
      return { slot: 'db', tier: 'db', kind: 'db', bytes: undefined };
    case 'sealed':
      return { slot: 'db', tier: 'db', kind: 'db', bytes: rec.bytes };
    case 'compressed':
      return { slot: 'zst', tier: 'db', kind: 'zst', bytes: rec.zstBytes };
    case 'archived':
      return { slot: 'archive', tier: 'archive', kind: 'zst', bytes: rec.zstBytes };
    default:
      return undefined; // purged: nothing; quarantined: the quarantine check
  }
}

function primaryOf(files: DayFiles | undefined): TierFile | undefined {
  return files === undefined ? undefined : (files.db ?? files.zst ?? files.archive ?? files.archiveDb);
}

/** Each recorded day has its file where its state says, with the recorded size. */
function checkRecords(f: Facts, problems: CheckResult[]): void {
  const agentBusy = f.lock?.live === true;
  for (const [key, rec] of Object.entries(f.metadata.metadata.days)) {
    const files = f.scan.days.get(key);
    const base = { name: 'metadata' as const, dataset: rec.dataset, day: rec.day };
    if (rec.pendingDelete !== undefined) {
      if (!agentBusy) {
        problems.push({
          ...base,
          status: 'WARNING',
          path: rec.pendingDelete,
          brief: `${key} move interrupted`,
          message: `a move of ${key} was interrupted: ${rec.pendingDelete} is marked for deletion once its verified successor is in place`,
          hint: 'the next run finishes or rolls it back: start the agent or run `tickdb run --once`',
        });
      }
      continue;
    }
    // A day in the S3 archive has no local file to find (or a kept copy where it was): the backlog check and
    // `verify` look at the bucket.
    if (rec.remote !== undefined) continue;
    const want = expectedCopy(rec);
    if (want === undefined) continue;
    const path = dayPath(f.dirs, want.tier, rec.dataset, rec.day, want.kind);
    const file = files?.[want.slot];
    if (file === undefined) {
      const elsewhere = primaryOf(files);
      if (elsewhere !== undefined) {
        problems.push({
          ...base,
          status: 'WARNING',
          path: elsewhere.path,
          brief: `${key} not where recorded`,
          message: `${key} is recorded as ${rec.state} (${path}) but is at ${elsewhere.path}`,
          hint: `if it was moved on purpose, \`tickdb verify --rebuild\`; otherwise move it back to ${path}`,
        });
      } else {
        const live = rec.state === 'live';
        problems.push({
          ...base,
          status: live ? 'WARNING' : 'CRITICAL',
          path,
          brief: `${key} missing`,
          message: `${key} is recorded as ${rec.state} but ${path} is missing${live ? '' : ': its only copy outside the backup is gone'}`,
          hint: live
            ? 'if it was removed on purpose, `tickdb verify --rebuild`'
            : `restore it: \`tickdb restore ${rec.day} --from backup\`; if it was moved on purpose, \`tickdb verify --rebuild\``,
        });
      }
      continue;
    }
    if (want.bytes !== undefined && file.bytes !== want.bytes) {
      problems.push({
        ...base,
        status: 'CRITICAL',
        path: file.path,
        brief: `${key} changed after ${rec.state === 'sealed' ? 'sealing' : 'compression'}`,
        message: `${file.path} is ${file.bytes} bytes but ${want.bytes} were recorded when it was ${rec.state}: the file changed${file.hasWal ? ' (and has a -wal: something opened it for writing)' : ''}`,
        hint: `\`tickdb verify --deep\` checks it against its SHA-256; restore it from its backup (\`tickdb restore ${rec.day} --from backup\`) if it does not match`,
      });
    }
  }
}

/** Files on disk the metadata does not know (days of age >= 2: younger ones may still belong to the writer). */
function checkUnrecorded(f: Facts, problems: CheckResult[]): void {
  const today = dayOf(f.now);
  const unrecorded: TierFile[] = [];
  for (const [key, files] of f.scan.days) {
    const file = primaryOf(files);
    if (file === undefined || f.metadata.metadata.days[key] !== undefined || ageOf(files.day, today) < 2) continue;
    unrecorded.push(file);
  }
  const first = unrecorded[0];
  if (first === undefined) return;
  const n = unrecorded.length;
  problems.push({
    name: 'metadata',
    status: 'WARNING',
    dataset: first.dataset,
    day: first.day,
    path: first.path,
    brief: `${n} unrecorded file${n === 1 ? '' : 's'}`,
    message: `${n} file${n === 1 ? ' is' : 's are'} not in the metadata: ${unrecorded
      .slice(0, 3)
      .map((u) => u.path)
      .join(', ')}${n > 3 ? `, and ${n - 3} more` : ''}`,
    hint: 'the agent records (seals or verifies) them at its next run; `tickdb verify --rebuild` records what is on disk now',
  });
}

/** Odd files found by the scan: duplicates of a day, names that do not parse, unknown prefixes, misplaced files. */
function checkAnomalies(f: Facts, problems: CheckResult[]): void {
  for (const a of f.scan.anomalies) {
    const rec =
      a.dataset === undefined || a.day === undefined ? undefined : f.metadata.metadata.days[dayKey(a.dataset, a.day)];
    const where = {
      ...(a.dataset === undefined ? {} : { dataset: a.dataset }),
      ...(a.day === undefined ? {} : { day: a.day }),
      path: a.path,
    };
    if (a.kind === 'duplicate-day') {
      if (rec?.pendingDelete !== undefined || rec?.state === 'quarantined') continue; // a move in flight, or reported by quarantine
      problems.push({
        name: 'metadata',
        status: 'CRITICAL',
        ...where,
        brief: `${a.dataset ?? ''}/${a.day ?? ''} present twice`,
        message: a.message,
        hint: 'the next run quarantines the day; decide which copy is good (`tickdb analyze PATH`), remove the other, then `tickdb quarantine release DAY`',
      });
    } else if (a.kind === 'not-a-file') {
      problems.push({
        name: 'metadata',
        status: 'WARNING',
        ...where,
        brief: `${a.dataset ?? ''}/${a.day ?? ''} is a ${a.entryType ?? 'non-regular entry'}`,
        message: a.message,
        hint: "tickdb never follows or opens it, and leaves the day alone: put the day's regular file in its place (or restore it from its backup) and remove the entry",
      });
    } else {
      problems.push({
        name: 'metadata',
        status: 'WARNING',
        ...where,
        brief: `${a.kind} file`,
        message: a.message,
        hint:
          a.kind === 'unknown-dataset'
            ? 'add the dataset to the config, or move the file out of the tree'
            : 'tickdb leaves it alone: rename or move it to where it belongs',
      });
    }
  }
  if (f.scan.tmpFiles.length > 0 && f.lock?.live !== true) {
    const n = f.scan.tmpFiles.length;
    problems.push({
      name: 'metadata',
      status: 'WARNING',
      path: f.scan.tmpFiles[0] ?? '',
      brief: `${n} leftover .tmp`,
      message: `${n} leftover .tmp file${n === 1 ? '' : 's'} of an interrupted write: ${f.scan.tmpFiles.slice(0, 3).join(', ')}`,
      hint: 'the next run removes them: start the agent or run `tickdb run --once`',
    });
  }
}

/**
 * Check 10: the metadata is usable and agrees with the disk (sizes and places only: no hashing; `tickdb verify
 * --deep` hashes). Usable-but-missing metadata on a tree with days, or a file in an unknown format, is WARNING.
 */
export function checkMetadata(f: Facts): CheckOutput {
  const problems: CheckResult[] = [];
  const path = metadataPath(f.dirs);
  if (f.metadata.problem !== undefined) {
    problems.push({
      name: 'metadata',
      status: 'WARNING',
      path,
      brief: 'unusable',
      message: `the metadata cannot be used: ${f.metadata.problem}`,
      hint: REBUILD_HINT,
    });
  } else if (!f.metadata.found && f.scan.days.size > 0) {
    problems.push({
      name: 'metadata',
      status: 'WARNING',
      path,
      brief: 'no metadata',
      message: `there is no metadata (${path}) for a tree of ${f.scan.days.size} days`,
      hint: REBUILD_HINT,
    });
  }
  if (f.metadata.found) {
    checkRecords(f, problems);
    checkUnrecorded(f, problems);
  }
  checkAnomalies(f, problems);
  const recorded = Object.keys(f.metadata.metadata.days).length;
  const aside = f.keptAside.length > 0 ? `; kept aside earlier: ${f.keptAside.join(', ')}` : '';
  return outcome(
    'metadata',
    problems,
    `metadata agrees with the disk: ${recorded} days recorded, ${f.scan.files.length} files${aside}`,
    [{ label: 'days', value: f.scan.days.size, min: 0 }],
  );
}
