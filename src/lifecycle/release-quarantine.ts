import { unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Config } from '../config/schema.js';
import { TickdbError } from '../errors.js';
import type { Day } from '../layout/day.js';
import type { TierFile, TierScan } from '../layout/scan.js';
import { dayKey, dayPath, type TierDirs } from '../layout/tiers.js';
import { inspectDatabase, type InspectResult } from '../sqlite/inspect-database.js';
import type { DayRecord, DayState } from '../store/metadata-types.js';
import { sha256File } from '../fs/sha256.js';
import { decompressFile } from '../zstd/index.js';
import type { DayStore } from './day-store.js';

export interface ReleaseRequest {
  dataset: string;
  day: Day;
  dryRun: boolean;
}

export interface ReleaseResult {
  key: string;
  path: string;
  /** The state the day is given back: where its one copy is, verified. */
  state: DayState;
  previousState: DayState;
  reason: string;
  checked: string;
  dryRun: boolean;
}

export interface ReleaseContext {
  config: Config;
  dirs: TierDirs;
  store: DayStore;
  scan: TierScan;
  threads: number;
}

type Ok = Extract<InspectResult, { status: 'ok' }>;

function stillBad(key: string, path: string, why: string): TickdbError {
  return new TickdbError('CORRUPT', `${path} still fails its checks (${why}); ${key} stays quarantined`, {
    path,
    hint: 'put a good copy in its place (`tickdb restore DAY --from backup` does it from a verified backup), then release again',
  });
}

function requireOk(key: string, path: string, r: InspectResult): Ok {
  if (r.status === 'ok') return r;
  if (r.status === 'corrupt') throw stillBad(key, path, r.problems.slice(0, 5).join('; '));
  if (r.status === 'busy')
    throw new TickdbError('BUSY', `${path} is held by another connection (${r.detail}); ${key} stays quarantined`, {
      path,
      hint: 'try again once the writer has closed it',
    });
  throw new TickdbError('IO', `${path} could not be checked (${r.code}: ${r.message}); ${key} stays quarantined`, {
    path,
  });
}

function requireIdentity(key: string, path: string, rec: DayRecord, sha256: string): void {
  if (rec.sha256 !== undefined && rec.sha256 !== sha256) {
    throw new TickdbError(
      'VERIFY',
      `${path} passes its checks but is not the sealed ${key} (SHA-256 ${sha256}, recorded ${rec.sha256}); it stays quarantined`,
      {
        path,
        hint: 'restore the sealed day with `tickdb restore DAY --from backup`, or examine the file with `tickdb analyze PATH`',
      },
    );
  }
}

/**
 * Releases a quarantined day once its one remaining copy checks out (the caller holds the tree lock):
 * - a day present more than once is refused, naming every copy, until only one remains; none at all is refused;
 * - a `.db` in db/ must pass SQLite's integrity check (read-only) and, when the day was sealed, hash to its
 *   recorded SHA-256: it goes back to `sealed`, or to `live` if it never was (the next run seals it);
 * - a `.db.zst` is decompressed beside itself (a `.tmp` removed after, as adoption does), the content checked
 *   the same way: it goes back to `compressed` (db/) or `archived` (archive/) with its hashes recorded.
 * The state given back is where the copy is, which is `quarantine.previousState` unless someone moved it.
 * A file that still fails stays quarantined and the error says why (exit 1).
 */
export async function releaseQuarantine(ctx: ReleaseContext, req: ReleaseRequest): Promise<ReleaseResult> {
  const key = dayKey(req.dataset, req.day);
  const rec = ctx.store.get(req.dataset, req.day);
  if (rec === undefined || rec.state !== 'quarantined') {
    throw new TickdbError(
      'REFUSED',
      `${key} is not quarantined (${rec === undefined ? 'not recorded' : `state ${rec.state}`})`,
      { hint: 'see `tickdb quarantine list`' },
    );
  }
  const previousState = rec.quarantine?.previousState ?? 'live';
  const reason = rec.quarantine?.reason ?? 'no reason recorded';
  const files = ctx.scan.days.get(key);
  const copies =
    files === undefined
      ? []
      : [files.db, files.zst, files.archive, files.archiveDb, ...files.extra.filter((f) => f.tier !== 'backup')].filter(
          (f): f is TierFile => f !== undefined,
        );
  if (copies.length === 0) {
    throw new TickdbError(
      'REFUSED',
      `no copy of ${key} is left in the tiers (quarantined file: ${rec.quarantine?.path ?? 'unknown'}); it stays quarantined`,
      {
        hint: 'restore it with `tickdb restore DAY --from backup`',
      },
    );
  }
  if (copies.length > 1) {
    throw new TickdbError(
      'REFUSED',
      `${key} is present ${copies.length} times: ${copies.map((f) => f.path).join(', ')}; it stays quarantined`,
      {
        path: copies[0]?.path,
        hint: 'keep the good copy (check each with `tickdb analyze PATH`), move the others out of the tiers, then release again',
      },
    );
  }
  const file = copies[0] as TierFile;
  const dataset = ctx.config.datasets.find((d) => d.prefix === req.dataset);
  const tick = { table: dataset?.tableName ?? 'ticks', timestampColumn: dataset?.timestampColumn ?? 'ts' };
  let patch: Partial<DayRecord>;
  let checked: string;
  if (file.tier === 'archive' && file.kind === 'db') {
    throw new TickdbError(
      'REFUSED',
      `${file.path} is an uncompressed database in the archive tier; ${key} stays quarantined`,
      {
        path: file.path,
        hint: `move it to ${dayPath(ctx.dirs, 'db', req.dataset, req.day, 'db')} (the next run compresses and archives it), then release again`,
      },
    );
  } else if (file.kind === 'db') {
    const r = requireOk(key, file.path, await inspectDatabase({ op: 'inspect', path: file.path, ...tick }));
    requireIdentity(key, file.path, rec, r.sha256);
    if (rec.sha256 !== undefined && file.walBytes > 0) {
      throw new TickdbError(
        'VERIFY',
        `${file.path} has a -wal of ${file.walBytes} bytes: something wrote to the sealed ${key}; it stays quarantined`,
        {
          path: file.path,
          hint: 'examine it with `tickdb analyze PATH`; restore the sealed day with `tickdb restore DAY --from backup`',
        },
      );
    }
    const notCompressed = { zstSha256: undefined, zstBytes: undefined, compressedAt: undefined, archivedAt: undefined };
    patch =
      rec.sha256 !== undefined
        ? { state: 'sealed', bytes: r.bytes, rows: r.rows, minTs: r.minTs, maxTs: r.maxTs, ...notCompressed }
        : { state: 'live', ...notCompressed };
    checked = `integrity ok, ${r.rows} rows${rec.sha256 !== undefined ? ', SHA-256 matches the sealed day' : ' (never sealed: the next run seals it)'}`;
  } else {
    const tmp = join(dirname(file.path), `.${basename(file.path)}.release.${process.pid}.tmp`);
    try {
      let content;
      try {
        content = await decompressFile(file.path, tmp, { threads: ctx.threads });
      } catch (err) {
        if (err instanceof TickdbError && err.code === 'CORRUPT') throw stillBad(key, file.path, err.message);
        throw err;
      }
      const r = requireOk(key, file.path, await inspectDatabase({ op: 'inspect', path: tmp, ...tick }));
      requireIdentity(key, file.path, rec, content.sha256);
      const zst = await sha256File(file.path);
      patch = {
        state: file.tier === 'archive' ? 'archived' : 'compressed',
        sha256: content.sha256,
        bytes: content.bytes,
        zstSha256: zst.sha256,
        zstBytes: zst.bytes,
        rows: r.rows,
        minTs: r.minTs,
        maxTs: r.maxTs,
        ...(file.tier === 'archive' ? {} : { archivedAt: undefined }),
      };
      checked = `decompresses (${content.frames} frame(s)) to a database that passes its integrity check, ${r.rows} rows${rec.sha256 !== undefined ? ', SHA-256 matches the sealed day' : ''}`;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }
  const result: ReleaseResult = {
    key,
    path: file.path,
    state: patch.state ?? previousState,
    previousState,
    reason,
    checked,
    dryRun: req.dryRun,
  };
  if (req.dryRun) return result;
  await ctx.store.transition(
    req.dataset,
    req.day,
    { ...patch, quarantine: undefined, pendingDelete: undefined },
    {
      event: 'quarantine-released',
      path: file.path,
      state: result.state,
      previousState,
      reason,
      checked,
    },
  );
  return result;
}
