import { rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../clock.js';
import { effectiveThresholds, type Config } from '../config/schema.js';
import { TickdbError, errnoOf, ioError } from '../errors.js';
import { ageOf, dayOf, type Day } from '../layout/day.js';
import type { DayFiles, TierFile, TierScan } from '../layout/scan.js';
import { dayKey, dayPath, type TierDirs } from '../layout/tiers.js';
import { inspectDatabase } from '../sqlite/inspect-database.js';
import { tmpPathFor } from '../fs/atomic-write.js';
import { copyVerifiedTmp } from '../fs/copy-verified.js';
import { fsyncDir } from '../fs/fsync-dir.js';
import type { DayRecord, DayState } from '../store/metadata-types.js';
import { sha256File } from '../fs/sha256.js';
import type { DayStore } from './day-store.js';
import { holdFor } from './legal-hold.js';

export interface RestoreRequest {
  dataset: string;
  day: Day;
  force: boolean;
  dryRun: boolean;
  /**
   * `--from archive`: the day's database decompressed from its archived `.db.zst` (the local archive tier's, or the
   * S3 archive's object), at `path` outside the tiers, with `source` naming where it came from. It is checked like a
   * backup (integrity, recorded SHA-256). Absent: the backup tier's copy.
   */
  copy?: { path: string; source: string } | undefined;
}

export interface RestoreResult {
  key: string;
  from: string;
  path: string;
  sha256: string;
  bytes: number;
  rows: number;
  previousState: DayState;
  /** Files that held the day before, renamed `NAME.replaced-STAMP` beside themselves (never deleted). */
  keptAside: { path: string; as: string }[];
  /** False when the `.db` in place already was the verified day (only the metadata was fixed). */
  copied: boolean;
  /** Nothing needed doing. */
  unchanged: boolean;
  dryRun: boolean;
  warnings: string[];
}

export interface RestoreContext {
  config: Config;
  dirs: TierDirs;
  clock: Clock;
  now: Date;
  store: DayStore;
  scan: TierScan;
}

function copiesOf(files: DayFiles | undefined): TierFile[] {
  if (files === undefined) return [];
  return [
    files.db,
    files.zst,
    files.archive,
    files.archiveDb,
    ...files.extra.filter((f) => f.tier !== 'backup'),
  ].filter((f): f is TierFile => f !== undefined);
}

/** Renames a file (and a database's -wal/-shm, keeping the pairing) to `PATH.replaced-STAMP`, which scans ignore. */
async function keepAside(path: string, stamp: string): Promise<string> {
  const aside = `${path}.replaced-${stamp}`;
  try {
    await rename(path, aside);
    for (const side of ['-wal', '-shm']) {
      await rename(`${path}${side}`, `${aside}${side}`).catch((err: unknown) => {
        if (errnoOf(err) !== 'ENOENT') throw err;
      });
    }
  } catch (err) {
    throw ioError(
      'keep aside',
      path,
      err,
      'nothing was deleted; move the file out of the tier by hand and run restore again',
    );
  }
  await fsyncDir(dirname(path));
  return aside;
}

function refused(message: string, path: string | undefined, hint: string): TickdbError {
  return new TickdbError('REFUSED', message, { path, hint });
}

/**
 * Puts a day back into the db tier from its verified backup (the caller holds the tree lock).
 *
 * - The backup must pass SQLite's integrity check and hash to the day's recorded SHA-256; otherwise nothing
 *   changes. A day with no recorded hash, today's or tomorrow's database (the writer's), is refused.
 * - Restore is for a day whose copy was lost or damaged. A quarantined day's files are replaced without more
 *   ado (restoring is the operator's decision the quarantine asked for). A day that is not quarantined and still
 *   has a copy in a tier (its `.db`, `.db.zst` or archived copy) is refused unless `force`: that copy may be
 *   good. A `.db` in place that already hashes to the recorded SHA-256 is kept, not copied again.
 * - Replaced files are never deleted: each is renamed `NAME.replaced-STAMP` beside itself for the operator to
 *   examine and remove.
 * - The day is recorded `sealed` (compressed and archived hashes cleared, quarantine lifted) and audited as
 *   `restored`; the next run compresses or archives it again as its age requires.
 */
export async function restoreDay(ctx: RestoreContext, req: RestoreRequest): Promise<RestoreResult> {
  const { dirs, store } = ctx;
  const key = dayKey(req.dataset, req.day);
  const rec: DayRecord | undefined = store.get(req.dataset, req.day);
  const from = req.copy?.path ?? dayPath(dirs, 'backup', req.dataset, req.day, 'db');
  const fromText = req.copy?.source ?? from;
  const what = req.copy === undefined ? 'backup' : 'archived copy';
  const dest = dayPath(dirs, 'db', req.dataset, req.day, 'db');
  const expected = rec?.sha256 ?? rec?.backupSha256;
  if (rec === undefined || expected === undefined) {
    throw refused(
      `${key} has no recorded SHA-256, so its backup cannot be verified; not restored`,
      from,
      rec === undefined
        ? 'the metadata does not know this day (check --dataset and the day; after a lost metadata file, `tickdb verify --rebuild` cannot recover hashes)'
        : 'the day was never sealed by tickdb',
    );
  }
  const age = ageOf(req.day, dayOf(ctx.now));
  if (age <= 0)
    throw refused(
      `${key} is today's or a future day: the writer owns it; not restored`,
      dest,
      'only sealed past days have backups',
    );
  if (rec.state === 'purged' && !req.force) {
    throw refused(
      `${key} was purged${rec.purgedAt !== undefined ? ` on ${rec.purgedAt}` : ''} by the retention policy; not restored`,
      from,
      'use --force to bring it back anyway (the next purge deletes it again unless a legal hold covers it)',
    );
  }
  const files = ctx.scan.days.get(key);
  if (req.copy === undefined && files?.backup?.path !== from) {
    throw new TickdbError('NOT_FOUND', `no backup of ${key} at ${from}`, {
      path: from,
      hint: 'backups are kept for backupRetentionDays; for an older day use `tickdb decompress DAY` to get a copy from the compressed tiers',
    });
  }
  const dataset = ctx.config.datasets.find((d) => d.prefix === req.dataset);
  const checked = await inspectDatabase({
    op: 'inspect',
    path: from,
    table: dataset?.tableName ?? 'ticks',
    timestampColumn: dataset?.timestampColumn ?? 'ts',
  });
  if (checked.status !== 'ok') {
    const why =
      checked.status === 'corrupt'
        ? checked.problems.slice(0, 3).join('; ')
        : checked.status === 'busy'
          ? checked.detail
          : checked.message;
    throw new TickdbError('VERIFY', `${what} ${fromText} fails its checks (${why}); nothing restored`, {
      path: from,
      hint: 'the backup is damaged; look for another copy (`tickdb decompress DAY` from db/ or archive/)',
    });
  }
  if (checked.sha256 !== expected) {
    throw new TickdbError(
      'VERIFY',
      `${what} ${fromText} does not match the recorded SHA-256 (found ${checked.sha256}, recorded ${expected}); nothing restored`,
      {
        path: from,
        hint: 'the backup is not the sealed day; look for another copy (`tickdb decompress DAY`)',
      },
    );
  }

  const copies = copiesOf(files);
  const inPlace = copies.find((f) => f.path === dest);
  const destGood = inPlace !== undefined && inPlace.walBytes === 0 && (await sha256File(dest)).sha256 === expected;
  const others = copies.filter((f) => !(destGood && f === inPlace));
  const quarantined = rec.state === 'quarantined';
  if (others.length > 0 && !quarantined && !req.force) {
    throw refused(
      `${key} is ${rec.state} and still present at ${others.map((f) => f.path).join(', ')}; restore replaces a lost or damaged copy`,
      others[0]?.path,
      'check it with `tickdb verify --deep` or `tickdb analyze PATH`; to replace it anyway use --force (each current file is kept aside as NAME.replaced-STAMP, never deleted)',
    );
  }
  const warnings: string[] = [];
  const t = dataset === undefined ? undefined : effectiveThresholds(ctx.config, dataset);
  if (
    t !== undefined &&
    age >= t.purgeAfterDays &&
    holdFor(ctx.config.legalHolds, req.dataset, req.day) === undefined
  ) {
    warnings.push(
      `${key} is ${age} days old, past purgeAfterDays (${t.purgeAfterDays}): the next purge deletes it again unless a legal hold covers it`,
    );
  } else if (t !== undefined && age >= t.compressAfterDays) {
    warnings.push(
      `${key} is ${age} days old: the next run compresses it again${age >= t.archiveAfterDays ? ' into the archive tier' : ''}`,
    );
  }
  const result: RestoreResult = {
    key,
    from: fromText,
    path: dest,
    sha256: expected,
    bytes: checked.bytes,
    rows: checked.rows,
    previousState: rec.state,
    keptAside: [],
    copied: !destGood,
    unchanged: destGood && others.length === 0 && rec.state === 'sealed',
    dryRun: req.dryRun,
    warnings,
  };
  if (req.dryRun || result.unchanged) return result;

  const stamp = ctx.now.toISOString().replace(/[:.]/g, '-');
  const tmp = tmpPathFor(dest);
  if (!destGood) await copyVerifiedTmp(from, tmp, expected, 0o444);
  for (const f of others) result.keptAside.push({ path: f.path, as: await keepAside(f.path, stamp) });
  if (!destGood) {
    try {
      await rename(tmp, dest);
    } catch (err) {
      throw ioError('rename', dest, err, `the verified copy is ${tmp}; run restore again`);
    }
    await fsyncDir(dirname(dest));
  }
  await store.transition(
    req.dataset,
    req.day,
    {
      state: 'sealed',
      sha256: expected,
      bytes: checked.bytes,
      rows: checked.rows,
      minTs: checked.minTs,
      maxTs: checked.maxTs,
      sealedAt: rec.sealedAt ?? ctx.clock.now().toISOString(),
      backupSha256: expected,
      backedUpAt: rec.backedUpAt,
      quarantine: undefined,
      pendingDelete: undefined,
      busySince: undefined,
      purgedAt: undefined,
      zstSha256: undefined,
      zstBytes: undefined,
      compressedAt: undefined,
      archivedAt: undefined,
    },
    {
      event: 'restored',
      from: fromText,
      path: dest,
      sha256: expected,
      bytes: checked.bytes,
      rows: checked.rows,
      previousState: rec.state,
      forced: req.force,
      keptAside: result.keptAside.map((k) => k.as),
      ...(quarantined ? { quarantineReason: rec.quarantine?.reason } : {}),
    },
  );
  return result;
}
