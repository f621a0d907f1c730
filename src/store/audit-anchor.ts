import { hashLine, type AuditLine } from './audit.js';
import { GENESIS_HASH } from './metadata-types.js';

/** The last line of an anchored day (`_audit/YYYY-MM-DD.jsonl`): the chain's head after that day's lines. */
export interface AnchorHead {
  anchor: 'tickdb-audit-head';
  day: string;
  firstSeq: number;
  seq: number;
  head: string;
}

/** One day of the trail ready to anchor: its lines as they are in the file, then the head. */
export interface AnchorGroup {
  day: string;
  firstSeq: number;
  lastSeq: number;
  head: string;
  body: string;
}

/** A line of the trail as written (`raw`), with its 1-based line number in the file. */
export interface TrailLine {
  n: number;
  raw: string;
  line: AuditLine;
}

/** The trail's JSON lines in file order (a torn or unparsable line is left out: `audit verify` reports it). */
export function trailLines(text: string): TrailLine[] {
  const raw = text.split('\n');
  raw.pop(); // '' after the last newline, or an unterminated (torn) line
  const out: TrailLine[] = [];
  raw.forEach((r, i) => {
    try {
      const line = JSON.parse(r) as AuditLine;
      if (typeof line.seq === 'number' && typeof line.hash === 'string') out.push({ n: i + 1, raw: r, line });
    } catch {
      // not a line of the chain
    }
  });
  return out;
}

/**
 * Pure: the days to anchor after the last anchored head (`after`), each a run of lines of one UTC day (by `at`),
 * up to the first line of `today` (a day is anchored once it is over). Walks the chain: it stops at the first line
 * that does not chain (edited, removed), with the problem, so that a damaged trail is never anchored as good.
 */
export function anchorGroups(
  text: string,
  after: { seq: number; hash: string } | undefined,
  today: string,
): { groups: AnchorGroup[]; problem?: string } {
  const lines = trailLines(text);
  let seq = after?.seq ?? 0;
  let prev = after?.hash ?? GENESIS_HASH;
  if (seq > 0 && !lines.some((l) => l.line.seq === seq && l.line.hash === prev))
    return { groups: [], problem: `the trail no longer holds the anchored line seq ${seq} (hash ${prev})` };
  const groups: AnchorGroup[] = [];
  let current: { day: string; firstSeq: number; raws: string[] } | undefined;
  const close = (): void => {
    if (current === undefined) return;
    const head: AnchorHead = {
      anchor: 'tickdb-audit-head',
      day: current.day,
      firstSeq: current.firstSeq,
      seq,
      head: prev,
    };
    groups.push({
      day: current.day,
      firstSeq: current.firstSeq,
      lastSeq: seq,
      head: prev,
      body: `${current.raws.join('\n')}\n${JSON.stringify(head)}\n`,
    });
    current = undefined;
  };
  for (const { n, raw, line } of lines) {
    if (line.seq <= seq) continue;
    const { hash, ...body } = line;
    if (line.seq !== seq + 1 || line.prev !== prev || hashLine(body) !== hash) {
      close();
      return { groups, problem: `line ${n} (seq ${line.seq}) does not chain to seq ${seq}; anchoring stops there` };
    }
    const day = typeof line.at === 'string' ? line.at.slice(0, 10) : '';
    if (day >= today) break;
    if (current !== undefined && current.day !== day) close();
    current ??= { day, firstSeq: line.seq, raws: [] };
    current.raws.push(raw);
    seq = line.seq;
    prev = hash;
  }
  close();
  return { groups };
}

/** What one anchored object says: its lines and its head; `problem` when it does not hold together. */
export interface ParsedAnchor {
  lines: { seq: number; raw: string; hash: string }[];
  head: AnchorHead | undefined;
  problem?: string;
}

/** Reads an anchored object's text: every line but the last is a trail line; the last is the head. */
export function parseAnchor(text: string): ParsedAnchor {
  const raws = text.split('\n');
  if (raws[raws.length - 1] === '') raws.pop();
  const headRaw = raws.pop();
  let head: AnchorHead | undefined;
  try {
    const h = JSON.parse(headRaw ?? '') as Partial<AnchorHead>;
    if (h.anchor === 'tickdb-audit-head' && typeof h.seq === 'number' && typeof h.head === 'string')
      head = h as AnchorHead;
  } catch {
    head = undefined;
  }
  const lines: ParsedAnchor['lines'] = [];
  let prev: string | undefined;
  let problem: string | undefined;
  for (const raw of raws) {
    try {
      const line = JSON.parse(raw) as AuditLine;
      const { hash, ...body } = line;
      if (hashLine(body) !== hash) problem ??= `seq ${line.seq} does not match its own hash`;
      if (prev !== undefined && line.prev !== prev) problem ??= `seq ${line.seq} does not chain to the line before`;
      prev = hash;
      lines.push({ seq: line.seq, raw, hash });
    } catch {
      problem ??= 'a line is not JSON';
    }
  }
  const last = lines[lines.length - 1];
  if (head === undefined) problem ??= 'no head line at the end';
  else if (last === undefined || last.seq !== head.seq || last.hash !== head.head)
    problem ??= `the head (seq ${head.seq}) is not the hash of the last line`;
  return { lines, head, ...(problem !== undefined ? { problem } : {}) };
}
