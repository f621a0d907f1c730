import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { startWorker } from '../worker-url.js';
import type { InspectRequest, InspectResult } from './inspect-types.js';

/**
 * Runs in a worker thread so that checkpoints, integrity checks and hashing never block the agent's event loop.
 * `seal`: integrity_check and stats -> checkpoint(TRUNCATE) -> journal_mode=DELETE -> SHA-256.
 * `inspect`: the same checks read-only, without changing the file.
 * For a large file, the stats query runs beside integrity_check, in a second worker started from this same file
 * (`stats`).
 */
const CORRUPT = /SQLITE_(NOTADB|CORRUPT)/;
const BUSY = /SQLITE_(BUSY|LOCKED)/;

function hashFile(path: string): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes };
}

function quoteId(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** What this file is started with: a request of inspect-database.ts, or `stats`, which it starts itself. */
type WorkerRequest = Omit<InspectRequest, 'op'> & { op: InspectRequest['op'] | 'stats' };

type Stats = { rows: number; minTs: string | null; maxTs: string | null };

/** What the `stats` worker posts: the stats, or the failure as `run` reports failures. */
type StatsMessage = ({ status: 'stats' } & Stats) | Exclude<InspectResult, { status: 'ok' }>;

/** Row count and timestamp range of the tick table: one scan of it (about 0.4 s for a 214 MB day). */
function statsOf(db: Database.Database, req: Omit<InspectRequest, 'op'>): Stats {
  const ts = quoteId(req.timestampColumn);
  const stats = db
    .prepare(`SELECT count(*) AS n, min(${ts}) AS lo, max(${ts}) AS hi FROM ${quoteId(req.table)}`)
    .safeIntegers(true)
    .get() as { n: bigint; lo: bigint | null; hi: bigint | null };
  return {
    rows: Number(stats.n),
    minTs: stats.lo === null ? null : String(stats.lo),
    maxTs: stats.hi === null ? null : String(stats.hi),
  };
}

/** `statsOf` on a read-only connection of its own (the `stats` worker), failures returned as `run` returns them. */
function readStats(req: Omit<InspectRequest, 'op'>): StatsMessage {
  let db: Database.Database | undefined;
  try {
    db = new Database(req.path, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${req.busyTimeoutMs}`);
    return { status: 'stats', ...statsOf(db, req) };
  } catch (err) {
    return failure(err);
  } finally {
    db?.close();
  }
}

/**
 * `readStats` in a second worker, so that its scan runs beside integrity_check (3.5 s for a 214 MB day) on
 * another core instead of after it. Settles when that worker has exited: its connection is closed by then, so it
 * can never hold up the checkpoint that follows.
 */
function statsBeside(req: InspectRequest): Promise<StatsMessage> {
  return new Promise((resolve) => {
    const worker = startWorker('inspect-worker.js', import.meta.url, {
      workerData: { ...req, op: 'stats' } satisfies WorkerRequest,
    });
    let message: StatsMessage | undefined;
    worker.once('message', (m: StatsMessage) => {
      message = m;
    });
    worker.once('error', (err) => {
      message ??= { status: 'error', message: `stats worker failed: ${err.message}`, code: 'WORKER' };
    });
    worker.once('exit', (code) => {
      resolve(
        message ?? { status: 'error', message: `stats worker exited with ${code} and no result`, code: 'WORKER' },
      );
    });
  });
}

/**
 * integrity_check, and the stats: read beside it for a large file, after it for a small one. The connections see
 * committed rows still in the -wal.
 */
async function check(db: Database.Database, req: InspectRequest): Promise<{ problems: string[] } | StatsMessage> {
  const large = fileSize(req.path) + fileSize(`${req.path}-wal`) >= req.statsBesideFromBytes;
  const beside = large ? statsBeside(req) : undefined;
  try {
    const problems = (db.pragma(`integrity_check(${req.maxProblems})`) as { integrity_check: string }[]).map(
      (r) => r.integrity_check,
    );
    if (problems.length !== 1 || problems[0] !== 'ok') return { problems };
    const exists = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(req.table);
    if (exists === undefined) return { problems: [`no table ${req.table}: not a tick database of this dataset`] };
    return beside !== undefined ? await beside : { status: 'stats', ...statsOf(db, req) };
  } finally {
    await beside; // on every path, failures included: the seal's checkpoint must find no reader left
  }
}

/** A failure of better-sqlite3 as a result: damage, a lock held by another connection, or anything else. */
function failure(err: unknown): Exclude<InspectResult, { status: 'ok' }> {
  const code = String((err as { code?: unknown }).code ?? '');
  const message = err instanceof Error ? err.message : String(err);
  if (CORRUPT.test(code)) return { status: 'corrupt', problems: [message] };
  if (BUSY.test(code)) return { status: 'busy', detail: message };
  return { status: 'error', message, code };
}

/**
 * The checks run first on a read-only connection (which never checkpoints), so that a damaged file is quarantined
 * exactly as it was found. Only a file that passes is then sealed: checkpoint(TRUNCATE), whose `busy` column is
 * checked, and journal_mode=DELETE, which fails while any other connection (a writer) still has the file open.
 */
async function run(req: InspectRequest): Promise<InspectResult> {
  if (fileSize(req.path) === 0) return { status: 'corrupt', problems: ['zero-byte file: not a SQLite database'] };
  let db: Database.Database | undefined;
  try {
    if (req.op === 'seal' && fileSize(`${req.path}-journal`) > 0) {
      // A hot rollback journal (a crash mid-transaction in rollback mode, or mid-switch out of WAL during an
      // earlier seal): a read-only connection cannot roll it back (SQLITE_READONLY_ROLLBACK), so the first
      // read-write open does, as SQLite's own recovery, restoring the last committed state.
      db = new Database(req.path, { fileMustExist: true });
      db.pragma(`busy_timeout = ${req.busyTimeoutMs}`);
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
      db.close();
      db = undefined;
    }
    db = new Database(req.path, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${req.busyTimeoutMs}`);
    const checked = await check(db, req);
    db.close();
    db = undefined;
    if ('problems' in checked) return { status: 'corrupt', problems: checked.problems };
    if (checked.status !== 'stats') return checked;
    const { rows, minTs, maxTs } = checked;
    const walBytes = fileSize(`${req.path}-wal`);
    if (req.op === 'seal') {
      db = new Database(req.path, { fileMustExist: true });
      db.pragma(`busy_timeout = ${req.busyTimeoutMs}`);
      if (String(db.pragma('journal_mode', { simple: true })) === 'wal') {
        const r = (db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[])[0];
        if (r === undefined || r.busy !== 0)
          return { status: 'busy', detail: `wal_checkpoint(TRUNCATE) reported busy (${JSON.stringify(r)})` };
      }
      const after = String(db.pragma('journal_mode = DELETE', { simple: true }));
      if (after !== 'delete')
        return { status: 'busy', detail: `journal_mode stayed ${after}: another connection has the database open` };
      db.close();
      db = undefined;
    }
    return {
      status: 'ok',
      ...hashFile(req.path),
      rows,
      minTs,
      maxTs,
      walBytesFolded: req.op === 'seal' ? walBytes : 0,
    };
  } catch (err) {
    return failure(err);
  } finally {
    db?.close();
  }
}

const request = workerData as WorkerRequest;
if (parentPort !== null) {
  const port = parentPort;
  const { op } = request;
  if (op === 'stats') port.postMessage(readStats(request));
  else void run({ ...request, op }).then((result) => port.postMessage(result));
}
