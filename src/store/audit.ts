import { open, readFile } from 'node:fs/promises';
import { errnoOf, ioError } from '../errors.js';
import { auditPath, type TierDirs } from '../layout/tiers.js';
import { sha256Buffer } from '../fs/sha256.js';
import { GENESIS_HASH, type AuditCheckpoint } from './metadata-types.js';

/** What happened, with enough detail for an auditor: the day, the files, the hashes, the reason. */
export interface AuditEvent {
  event: string;
  dataset?: string;
  day?: string;
  [detail: string]: unknown;
}

export interface AuditLine extends AuditEvent {
  seq: number;
  at: string;
  prev: string;
  hash: string;
}

/** The hash of a line covers every field but `hash`, in a canonical order, chained to the previous line. */
export function hashLine(line: Omit<AuditLine, 'hash'>): string {
  return sha256Buffer(canonicalJson(line));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Appends one event to `db/audit.jsonl`, chained to `checkpoint`, fsyncs it, and returns the new checkpoint for
 * the metadata. The caller holds the tree lock, so there is one appender.
 */
export async function appendAudit(
  dirs: TierDirs,
  checkpoint: AuditCheckpoint,
  event: AuditEvent,
  now: Date,
): Promise<AuditCheckpoint> {
  const path = auditPath(dirs);
  const body = { ...event, seq: checkpoint.count + 1, at: now.toISOString(), prev: checkpoint.lastHash };
  const hash = hashLine(body);
  const text = `${JSON.stringify({ ...body, hash })}\n`;
  try {
    const handle = await open(path, 'a+', 0o644);
    try {
      // A line torn by a power cut has no newline: start on a fresh line so it is reported alone, not merged.
      const { size } = await handle.stat();
      const last = size === 0 ? '\n' : (await handle.read(Buffer.alloc(1), 0, 1, size - 1)).buffer.toString('latin1');
      await handle.write(last === '\n' ? text : `\n${text}`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw ioError('append audit', path, err);
  }
  return { lastHash: hash, count: checkpoint.count + 1 };
}

export interface AuditProblem {
  line: number;
  problem: string;
}

export interface AuditVerification {
  ok: boolean;
  path: string;
  lines: number;
  lastHash: string;
  problems: AuditProblem[];
  /** Lines appended after the metadata's checkpoint (a crash between the append and the metadata write). */
  beyondCheckpoint: number;
}

/** The trail's text; empty when there is no trail yet. */
export async function readAuditText(dirs: TierDirs): Promise<string> {
  const path = auditPath(dirs);
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return '';
    throw ioError('read audit', path, err);
  }
}

/** Reads the trail and checks every link; compares the end with the checkpoint kept in metadata. */
export async function verifyAudit(dirs: TierDirs, checkpoint: AuditCheckpoint | undefined): Promise<AuditVerification> {
  const path = auditPath(dirs);
  const text = await readAuditText(dirs);
  const problems: AuditProblem[] = [];
  const rawLines = text.split('\n');
  if (rawLines[rawLines.length - 1] === '') rawLines.pop();
  else if (rawLines.length > 0)
    problems.push({ line: rawLines.length, problem: 'last line is not terminated (torn write)' });
  let prev = GENESIS_HASH;
  rawLines.forEach((raw, i) => {
    const n = i + 1;
    let line: AuditLine;
    try {
      line = JSON.parse(raw) as AuditLine;
    } catch {
      problems.push({ line: n, problem: 'not JSON' });
      prev = '';
      return;
    }
    const { hash, ...body } = line;
    if (line.seq !== n)
      problems.push({
        line: n,
        problem: `sequence ${String(line.seq)} where ${n} was expected (a line removed or reordered)`,
      });
    if (line.prev !== prev)
      problems.push({
        line: n,
        problem: 'does not chain to the previous line (a line removed, reordered or edited before it)',
      });
    if (hashLine(body) !== hash) problems.push({ line: n, problem: 'content does not match its hash (edited)' });
    prev = hash;
  });
  let beyondCheckpoint = 0;
  if (checkpoint !== undefined && checkpoint.count > 0) {
    if (rawLines.length < checkpoint.count) {
      problems.push({
        line: rawLines.length,
        problem: `trail has ${rawLines.length} lines but metadata recorded ${checkpoint.count} (truncated)`,
      });
    } else {
      const atCheckpoint = rawLines[checkpoint.count - 1];
      let hashThere: string | undefined;
      try {
        hashThere = atCheckpoint === undefined ? undefined : (JSON.parse(atCheckpoint) as AuditLine).hash;
      } catch {
        hashThere = undefined;
      }
      if (hashThere !== checkpoint.lastHash) {
        problems.push({
          line: checkpoint.count,
          problem: 'line does not match the hash recorded in metadata (rewritten)',
        });
      }
      beyondCheckpoint = rawLines.length - checkpoint.count;
    }
  }
  return { ok: problems.length === 0, path, lines: rawLines.length, lastHash: prev, problems, beyondCheckpoint };
}

/**
 * A crash between an audit append and the metadata write that records its checkpoint leaves lines beyond the
 * checkpoint. Those that chain correctly from it are real events, so the checkpoint moves to the last of them and
 * the next line chains on; without this the next append would reuse their sequence numbers and break the chain.
 * Anything else (an edited or torn line) is left as it is, for `audit verify` to report.
 */
export async function catchUpCheckpoint(dirs: TierDirs, checkpoint: AuditCheckpoint): Promise<AuditCheckpoint> {
  const path = auditPath(dirs);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return checkpoint;
    throw ioError('read audit', path, err);
  }
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline, or an unterminated (torn) line, which is never adopted
  if (lines.length <= checkpoint.count) return checkpoint;
  let current = checkpoint;
  for (const raw of lines.slice(checkpoint.count)) {
    let line: AuditLine;
    try {
      line = JSON.parse(raw) as AuditLine;
    } catch {
      return current;
    }
    const { hash, ...body } = line;
    if (line.seq !== current.count + 1 || line.prev !== current.lastHash || hashLine(body) !== hash) return current;
    current = { lastHash: hash, count: line.seq };
  }
  return current;
}
