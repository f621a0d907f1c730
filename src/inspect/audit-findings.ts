import { readFile } from 'node:fs/promises';
import { errnoOf, ioError } from '../errors.js';
import { auditPath, type TierDirs } from '../layout/tiers.js';
import { hashLine, verifyAudit, type AuditLine, type AuditProblem } from '../store/audit.js';
import type { AuditCheckpoint } from '../store/metadata-types.js';

/** What happened to the trail, in an auditor's words. */
export type AuditFindingKind =
  | 'edited'
  | 'removed'
  | 'reordered'
  | 'duplicated'
  | 'truncated'
  | 'rewritten'
  | 'not-json'
  | 'broken-chain';

export interface AuditFinding {
  /** 1-based line of the trail where the damage shows. */
  line: number;
  kind: AuditFindingKind;
  message: string;
}

export interface AuditReport {
  ok: boolean;
  path: string;
  lines: number;
  lastHash: string;
  checkpoint: AuditCheckpoint | null;
  /** Lines after the metadata's checkpoint: a crash between the audit append and the metadata write (a note). */
  beyondCheckpoint: number;
  findings: AuditFinding[];
  /** The chain verifier's own list (src/store/audit.ts), line by line. */
  problems: AuditProblem[];
}

interface Parsed {
  n: number;
  line: AuditLine | undefined;
  hashOk: boolean;
}

/**
 * Explains a damaged trail: which line was edited (content does not match its hash), where lines were removed
 * (the sequence jumps and the missing numbers are nowhere), reordered (numbers out of order), duplicated, and
 * whether the end is truncated (fewer lines than the metadata's checkpoint, or a last line cut short) or
 * rewritten (the line at the checkpoint is not the one recorded). Pure: text and checkpoint in, findings out.
 */
export function explainAudit(text: string, checkpoint: AuditCheckpoint | undefined): AuditFinding[] {
  const findings: AuditFinding[] = [];
  const raw = text.split('\n');
  const torn = raw[raw.length - 1] !== '';
  if (!torn) raw.pop();
  const parsed: Parsed[] = raw.map((r, i) => {
    try {
      const line = JSON.parse(r) as AuditLine;
      const { hash, ...body } = line;
      return { n: i + 1, line, hashOk: typeof hash === 'string' && hashLine(body) === hash };
    } catch {
      return { n: i + 1, line: undefined, hashOk: false };
    }
  });
  const last = parsed.length;
  for (const p of parsed) {
    if (p.line === undefined) {
      findings.push(
        p.n === last && torn
          ? {
              line: p.n,
              kind: 'truncated',
              message: `line ${p.n} is cut short (the trail was truncated in the middle of a line)`,
            }
          : { line: p.n, kind: 'not-json', message: `line ${p.n} is not a JSON audit record` },
      );
    } else if (!p.hashOk) {
      findings.push({
        line: p.n,
        kind: 'edited',
        message: `line ${p.n} (seq ${String(p.line.seq)}) was edited: its content does not match its hash`,
      });
    }
  }
  const seqs = parsed.map((p) => (typeof p.line?.seq === 'number' ? p.line.seq : undefined));
  const counts = new Map<number, number>();
  for (const s of seqs) if (s !== undefined) counts.set(s, (counts.get(s) ?? 0) + 1);
  let prevSeq = 0;
  let prevHash: string | undefined;
  parsed.forEach((p, i) => {
    const seq = seqs[i];
    if (seq === undefined || p.line === undefined) {
      prevHash = undefined;
      return;
    }
    if (seq > prevSeq + 1) {
      const missing = Array.from({ length: seq - prevSeq - 1 }, (_, k) => prevSeq + 1 + k);
      if (missing.every((m) => !counts.has(m))) {
        const span =
          missing.length === 1
            ? `seq ${missing[0] ?? ''}`
            : `seq ${missing[0] ?? ''}..${missing[missing.length - 1] ?? ''}`;
        findings.push({
          line: p.n,
          kind: 'removed',
          message: `${missing.length} line(s) removed before line ${p.n} (${span} missing; the sequence jumps from ${prevSeq} to ${seq})`,
        });
      } else {
        findings.push({
          line: p.n,
          kind: 'reordered',
          message: `line ${p.n} (seq ${seq}) is out of order: expected seq ${prevSeq + 1}`,
        });
      }
    } else if (seq <= prevSeq) {
      const kind = (counts.get(seq) ?? 0) > 1 ? 'duplicated' : 'reordered';
      findings.push({
        line: p.n,
        kind,
        message:
          kind === 'duplicated'
            ? `line ${p.n} repeats seq ${seq}`
            : `line ${p.n} (seq ${seq}) is out of order: it comes after seq ${prevSeq}`,
      });
    } else if (
      prevHash !== undefined &&
      p.hashOk &&
      p.line.prev !== prevHash &&
      !findings.some((f) => f.line === p.n - 1)
    ) {
      findings.push({
        line: p.n - 1,
        kind: 'edited',
        message: `line ${p.n - 1} was replaced or edited with a recomputed hash: line ${p.n} does not chain to it`,
      });
    }
    prevSeq = Math.max(prevSeq, seq);
    prevHash = p.hashOk ? p.line.hash : undefined;
  });
  if (checkpoint !== undefined && checkpoint.count > 0) {
    const highest =
      Math.max(0, ...seqs.filter((s): s is number => s !== undefined)) +
      (torn && parsed[last - 1]?.line === undefined ? 1 : 0);
    if (highest < checkpoint.count) {
      findings.push({
        line: last,
        kind: 'truncated',
        message: `${checkpoint.count - highest} line(s) missing at the end: the metadata recorded ${checkpoint.count} lines, the trail ends at seq ${highest}`,
      });
    } else {
      const at = parsed.find((p) => p.line?.seq === checkpoint.count);
      if (at?.line !== undefined && at.line.hash !== checkpoint.lastHash && at.hashOk) {
        findings.push({
          line: at.n,
          kind: 'rewritten',
          message: `line ${at.n} (seq ${checkpoint.count}) is not the line recorded in the metadata checkpoint (rewritten)`,
        });
      }
    }
  }
  return findings.sort((a, b) => a.line - b.line);
}

/** The chain check (src/store/audit.ts) plus the explanation; `ok` only when both find nothing. */
export async function checkAuditTrail(dirs: TierDirs, checkpoint: AuditCheckpoint | undefined): Promise<AuditReport> {
  const verification = await verifyAudit(dirs, checkpoint);
  let text = '';
  try {
    text = await readFile(auditPath(dirs), 'utf8');
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw ioError('read audit', auditPath(dirs), err);
  }
  const findings = text === '' ? [] : explainAudit(text, checkpoint);
  if (text === '' && checkpoint !== undefined && checkpoint.count > 0) {
    findings.push({
      line: 0,
      kind: 'truncated',
      message: `the trail is empty or missing, but the metadata recorded ${checkpoint.count} lines`,
    });
  }
  if (!verification.ok && findings.length === 0) {
    for (const p of verification.problems)
      findings.push({ line: p.line, kind: 'broken-chain', message: `line ${p.line}: ${p.problem}` });
  }
  return {
    ok: verification.ok && findings.length === 0,
    path: verification.path,
    lines: verification.lines,
    lastHash: verification.lastHash,
    checkpoint: checkpoint ?? null,
    beyondCheckpoint: verification.beyondCheckpoint,
    findings,
    problems: verification.problems,
  };
}
