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

function run(req: InspectRequest): InspectResult {
  if (statSync(req.path).size === 0) return { status: 'corrupt', problems: ['zero-byte file: not a SQLite database'] };
  let db: Database.Database | undefined;
  let checkpointedFrames = 0;
  try {
    db = new Database(req.path, { readonly: req.op === 'inspect', fileMustExist: true });
    db.pragma(`busy_timeout = ${req.busyTimeoutMs}`);
    if (req.op === 'seal') {
      const mode = String(db.pragma('journal_mode', { simple: true }));
      if (mode === 'wal') {
        const row = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
        const r = row[0];
        if (r === undefined || r.busy !== 0) return { status: 'busy', detail: `wal_checkpoint(TRUNCATE) reported busy (${JSON.stringify(r)})` };
        checkpointedFrames = r.checkpointed;
      }
      const after = String(db.pragma('journal_mode = DELETE', { simple: true }));
      if (after !== 'delete') return { status: 'busy', detail: `journal_mode stayed ${after}: another connection has the database open` };
    }
    const problems = (db.pragma(`integrity_check(${req.maxProblems})`) as { integrity_check: string }[]).map((r) => r.integrity_check);
    if (problems.length !== 1 || problems[0] !== 'ok') return { status: 'corrupt', problems };
    const exists = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(req.table);
    if (exists === undefined) return { status: 'corrupt', problems: [`no table ${req.table}: not a tick database of this dataset`] };
    const stats = db
      .prepare(`SELECT count(*) AS n, min(${quoteId(req.timestampColumn)}) AS lo, max(${quoteId(req.timestampColumn)}) AS hi FROM ${quoteId(req.table)}`)
      .safeIntegers(true)
      .get() as { n: bigint; lo: bigint | null; hi: bigint | null };
    db.close();
    db = undefined;
    return {
      status: 'ok',
      ...hashFile(req.path),
      rows: Number(stats.n),
      minTs: stats.lo === null ? null : String(stats.lo),
      maxTs: stats.hi === null ? null : String(stats.hi),
      checkpointedFrames,
    };
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
