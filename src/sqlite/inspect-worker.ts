import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { InspectRequest, InspectResult } from './inspect-types.js';

/**
 * Runs in a worker thread so that checkpoints, integrity checks and hashing never block the agent's event loop.
 * `seal`: checkpoint(TRUNCATE) -> journal_mode=DELETE -> integrity_check -> stats -> SHA-256.
 * `inspect`: the same checks read-only, without changing the file.
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

/** integrity_check, then the stats; the connection sees committed rows still in the -wal. */
function check(db: Database.Database, req: InspectRequest): { problems: string[] } | { rows: number; minTs: string | null; maxTs: string | null } {
  const problems = (db.pragma(`integrity_check(${req.maxProblems})`) as { integrity_check: string }[]).map((r) => r.integrity_check);
  if (problems.length !== 1 || problems[0] !== 'ok') return { problems };
  const exists = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(req.table);
  if (exists === undefined) return { problems: [`no table ${req.table}: not a tick database of this dataset`] };
  const ts = quoteId(req.timestampColumn);
  const stats = db
    .prepare(`SELECT count(*) AS n, min(${ts}) AS lo, max(${ts}) AS hi FROM ${quoteId(req.table)}`)
    .safeIntegers(true)
    .get() as { n: bigint; lo: bigint | null; hi: bigint | null };
  return { rows: Number(stats.n), minTs: stats.lo === null ? null : String(stats.lo), maxTs: stats.hi === null ? null : String(stats.hi) };
}

/**
 * The checks run first on a read-only connection (which never checkpoints), so that a damaged file is quarantined
 * exactly as it was found. Only a file that passes is then sealed: checkpoint(TRUNCATE), whose `busy` column is
 * checked, and journal_mode=DELETE, which fails while any other connection (a writer) still has the file open.
 */
function run(req: InspectRequest): InspectResult {
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
    const checked = check(db, req);
    db.close();
    db = undefined;
    if ('problems' in checked) return { status: 'corrupt', problems: checked.problems };
    const walBytes = fileSize(`${req.path}-wal`);
    if (req.op === 'seal') {
      db = new Database(req.path, { fileMustExist: true });
      db.pragma(`busy_timeout = ${req.busyTimeoutMs}`);
      if (String(db.pragma('journal_mode', { simple: true })) === 'wal') {
        const r = (db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[])[0];
        if (r === undefined || r.busy !== 0) return { status: 'busy', detail: `wal_checkpoint(TRUNCATE) reported busy (${JSON.stringify(r)})` };
      }
      const after = String(db.pragma('journal_mode = DELETE', { simple: true }));
      if (after !== 'delete') return { status: 'busy', detail: `journal_mode stayed ${after}: another connection has the database open` };
      db.close();
      db = undefined;
    }
    return { status: 'ok', ...hashFile(req.path), ...checked, walBytesFolded: req.op === 'seal' ? walBytes : 0 };
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? '');
    const message = err instanceof Error ? err.message : String(err);
    if (CORRUPT.test(code)) return { status: 'corrupt', problems: [message] };
    if (BUSY.test(code)) return { status: 'busy', detail: message };
    return { status: 'error', message, code };
  } finally {
    db?.close();
  }
}

if (parentPort !== null) parentPort.postMessage(run(workerData as InspectRequest));
