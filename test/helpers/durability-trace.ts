import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { BIN, REPO, cleanEnv, expectExit } from './cli.js';
import { needProgram } from './external-programs.js';

/**
 * Reads an `strace -f -y` trace of a tickdb run and checks the order of its durable steps (DESIGN 3). Writes are
 * traced raw (`-e raw=write,...`: no buffer contents) and tied to their file through the descriptors that `openat`
 * returned (the threads of one process share them).
 */
export type TraceKind = 'open' | 'close' | 'write' | 'fsync' | 'rename' | 'link' | 'unlink' | 'mkdir';

export interface TraceEvent {
  kind: TraceKind;
  /** Line index where the call started and where it returned (the same for a call strace printed whole). */
  start: number;
  end: number;
  ok: boolean;
  fd?: number;
  /** The file a descriptor call works on; the target of unlink and mkdir. */
  path?: string;
  /** For a write: the bytes it wrote (its result). */
  bytes?: number;
  from?: string;
  to?: string;
}

export const TRACED_CALLS = [
  'open',
  'openat',
  'creat',
  'close',
  'write',
  'pwrite64',
  'writev',
  'pwritev',
  'pwritev2',
  'fsync',
  'fdatasync',
  'rename',
  'renameat',
  'renameat2',
  'link',
  'linkat',
  'unlink',
  'unlinkat',
  'mkdir',
  'mkdirat',
];
/** Why strace cannot trace on this machine (ptrace refused, as in some containers), or undefined if it can. */
function ptraceRefusal(): string | undefined {
  const r = spawnSync('strace', ['-qq', '-e', 'trace=none', 'true'], { encoding: 'utf8' });
  return r.status === 0
    ? undefined
    : `strace cannot trace here (ptrace refused?): ${r.stderr.trim().split('\n')[0] ?? `exit ${String(r.status)}`}`;
}

/**
 * Whether the test file `name` can trace: strace missing is needProgram's to report (a skip, a failure under
 * CI=true); ptrace refused is a skip with one line saying why, and a failure under CI=true.
 */
export function straceUsable(name: string): boolean {
  if (!needProgram('strace')) return false;
  const refused = ptraceRefusal();
  if (refused === undefined) return true;
  if (process.env.CI === 'true') throw new Error(`${name} under CI=true: ${refused}`);
  process.stdout.write(`${name}: skipped: ${refused}\n`);
  return false;
}

/**
 * Runs `tickdb run --once ARGS` (compression level 1) under strace into `out`, expects it to exit 0, and returns
 * its trace's events.
 */
export function traceRunOnce(out: string, args: string[]): TraceEvent[] {
  const r = spawnSync('strace', [...straceArgs(out), process.execPath, BIN, 'run', '--once', ...args], {
    cwd: REPO,
    env: cleanEnv({ TICKDB_COMPRESSION_LEVEL: '1' }),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  expectExit({ code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr });
  return parseTrace(readFileSync(out, 'utf8'), REPO);
}

/** The strace arguments this parser expects (the command follows them). */
export function straceArgs(out: string): string[] {
  return [
    '-f',
    '-y',
    '-qq',
    '-s',
    '4096',
    '-o',
    out,
    '-e',
    'raw=write,pwrite64,writev,pwritev,pwritev2',
    '-e',
    `trace=${TRACED_CALLS.join(',')}`,
  ];
}

const LINE = /^(\d+)\s+(.*)$/;
const CALL = /^([a-z0-9_]+)\((.*)\)\s+=\s+(-?\w+)(?:<([^>]*)>)?(?:\s.*)?$/;

/** Splits the arguments of a traced call at top-level commas (strings and `<...>` decorations kept whole). */
function splitArgs(args: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inString = false;
  let depth = 0;
  for (let i = 0; i < args.length; i++) {
    const c = args[i] ?? '';
    if (inString) {
      cur += c;
      if (c === '\\') cur += args[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '<' || c === '[' || c === '{') depth++;
    else if (c === '>' || c === ']' || c === '}') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

function unquote(s: string | undefined): string | undefined {
  if (s === undefined || !s.startsWith('"')) return undefined;
  return JSON.parse(s.replace(/\.\.\.$/, '')) as string;
}

/** A descriptor argument: `23</path>` (decorated), `0x17` (raw) or `AT_FDCWD</cwd>`. */
function fdArg(s: string | undefined): { fd?: number; path?: string } {
  if (s === undefined) return {};
  const m = /^(AT_FDCWD|0x[0-9a-f]+|\d+)(?:<(.*)>)?$/.exec(s);
  if (m === null) return {};
  const fd = m[1] === 'AT_FDCWD' ? undefined : Number(m[1]);
  return { ...(fd !== undefined ? { fd } : {}), ...(m[2] !== undefined ? { path: m[2] } : {}) };
}

function at(dir: { path?: string }, p: string | undefined, cwd: string): string | undefined {
  if (p === undefined) return undefined;
  return isAbsolute(p) ? p : resolve(dir.path ?? cwd, p);
}

/** Parses a trace (the text of `strace -o`) into events in the order strace saw them. */
export function parseTrace(text: string, cwd: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  const pending = new Map<string, { start: number; head: string }>();
  const fds = new Map<number, string>();
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const m = LINE.exec(raw);
    if (m === null) continue;
    const tid = m[1] ?? '';
    let body = m[2] ?? '';
    let start = i;
    if (body.endsWith('<unfinished ...>')) {
      pending.set(tid, { start: i, head: body.slice(0, -'<unfinished ...>'.length).trimEnd() });
      continue;
    }
    const resumed = /^<\.\.\. [a-z0-9_]+ resumed>\s?(.*)$/.exec(body);
    if (resumed !== null) {
      const p = pending.get(tid);
      if (p === undefined) continue;
      pending.delete(tid);
      start = p.start;
      const rest = resumed[1] ?? '';
      body = `${p.head}${p.head.endsWith('(') || rest.startsWith(')') ? '' : ', '}${rest}`;
    }
    const c = CALL.exec(body);
    if (c === null) continue;
    const [name, argText, result, resultPath] = [c[1] ?? '', c[2] ?? '', c[3] ?? '', c[4]];
    const ok = !result.startsWith('-');
    const args = splitArgs(argText);
    const base = { start, end: i, ok };
    switch (name) {
      case 'open':
      case 'openat':
      case 'creat': {
        const fd = Number(result);
        if (ok && resultPath !== undefined) fds.set(fd, resultPath);
        events.push({ ...base, kind: 'open', fd, ...(resultPath !== undefined ? { path: resultPath } : {}) });
        break;
      }
      case 'close': {
        const a = fdArg(args[0]);
        if (a.fd !== undefined) fds.delete(a.fd);
        events.push({ ...base, kind: 'close', ...a });
        break;
      }
      case 'write':
      case 'pwrite64':
      case 'writev':
      case 'pwritev':
      case 'pwritev2': {
        const a = fdArg(args[0]);
        const path = a.path ?? (a.fd !== undefined ? fds.get(a.fd) : undefined);
        events.push({
          ...base,
          kind: 'write',
          ...(a.fd !== undefined ? { fd: a.fd } : {}),
          ...(path !== undefined ? { path } : {}),
          ...(ok ? { bytes: Number(result) } : {}),
        });
        break;
      }
      case 'fsync':
      case 'fdatasync': {
        const a = fdArg(args[0]);
        const path = a.path ?? (a.fd !== undefined ? fds.get(a.fd) : undefined);
        events.push({
          ...base,
          kind: 'fsync',
          ...(a.fd !== undefined ? { fd: a.fd } : {}),
          ...(path !== undefined ? { path } : {}),
        });
        break;
      }
      case 'rename':
      case 'link':
        events.push({
          ...base,
          kind: name,
          from: at({}, unquote(args[0]), cwd) ?? '',
          to: at({}, unquote(args[1]), cwd) ?? '',
        });
        break;
      case 'renameat':
      case 'renameat2':
      case 'linkat':
        events.push({
          ...base,
          kind: name === 'linkat' ? 'link' : 'rename',
          from: at(fdArg(args[0]), unquote(args[1]), cwd) ?? '',
          to: at(fdArg(args[2]), unquote(args[3]), cwd) ?? '',
        });
        break;
      case 'unlink':
      case 'mkdir':
        events.push({ ...base, kind: name, path: at({}, unquote(args[0]), cwd) ?? '' });
        break;
      case 'unlinkat':
      case 'mkdirat':
        if (name === 'unlinkat' && (args[2] ?? '').includes('AT_REMOVEDIR')) break;
        events.push({
          ...base,
          kind: name === 'unlinkat' ? 'unlink' : 'mkdir',
          path: at(fdArg(args[0]), unquote(args[1]), cwd) ?? '',
        });
        break;
    }
  }
  return events;
}

const DAY_FILE = /_\d{4}-\d{2}-\d{2}\.db(\.zst)?$/;
const METADATA = 'rotation_metadata.json';

/** The lock and its claims are not data: a lock of a dead boot is stale anyway, so they need no durability. */
function isLockFile(path: string): boolean {
  return /^\.?tickdb\.lock/.test(basename(path));
}

export interface OrderReport {
  violations: string[];
  /** What was checked, for the test's log. */
  counts: {
    placed: number;
    sourcesDeleted: number;
    foldersCreated: number;
    metadataWrites: number;
    auditWrites: number;
  };
}

/**
 * Checks the durable order of a run under `root`:
 * 1. each file renamed or linked into place was fsynced after its last write and before the rename or link;
 * 2. before a day's file is deleted (a source after its move, a purge) and before metadata is written (which
 *    records what is on disk), every earlier rename, link and mkdir under the root is durable: the folder it
 *    changed was fsynced after it (for a new folder: its parent);
 * 3. metadata is durable before the step that relies on it: after each metadata rename, its folder is fsynced
 *    before the next rename, link or deletion of a day's file; each audit append is fsynced before the next
 *    metadata write or change of a day's file.
 */
export function checkDurableOrder(events: readonly TraceEvent[], root: string): OrderReport {
  const violations: string[] = [];
  const under = (p: string | undefined): boolean => p !== undefined && (p === root || p.startsWith(`${root}/`));
  const fsyncs = events.filter((e) => e.kind === 'fsync' && e.ok);
  const fsynced = (path: string, after: number, before: number): boolean =>
    fsyncs.some((f) => f.path === path && f.start > after && f.end < before);
  const line = (e: TraceEvent): string => `trace line ${e.start + 1}`;

  const placed = events.filter((e) => (e.kind === 'rename' || e.kind === 'link') && e.ok && under(e.to));
  for (const e of placed) {
    const from = e.from ?? '';
    const lastWrite = events.filter((w) => w.kind === 'write' && w.path === from && w.end < e.start).at(-1);
    if (lastWrite === undefined) continue;
    if (!fsynced(from, lastWrite.end, e.start))
      violations.push(
        `${e.kind} ${from} -> ${e.to ?? ''} (${line(e)}): the file was not fsynced after its last write (${line(lastWrite)})`,
      );
  }

  const changes = events.filter(
    (e) =>
      e.ok &&
      (e.kind === 'rename' || e.kind === 'link'
        ? under(e.to) && !isLockFile(e.to ?? '')
        : e.kind === 'mkdir'
          ? under(e.path)
          : false),
  );
  const folderOf = (e: TraceEvent): string => dirname(e.kind === 'mkdir' ? (e.path ?? '') : (e.to ?? ''));
  const deletions = events.filter((e) => e.kind === 'unlink' && e.ok && under(e.path) && DAY_FILE.test(e.path ?? ''));
  const metadataWrites = events.filter(
    (e) => e.kind === 'rename' && e.ok && basename(e.to ?? '') === METADATA && under(e.to),
  );
  const relying: [string, TraceEvent][] = [
    ...deletions.map((d): [string, TraceEvent] => [`deleting ${d.path ?? ''}`, d]),
    ...metadataWrites.map((m): [string, TraceEvent] => [`writing metadata`, m]),
  ];
  for (const [what, r] of relying) {
    for (const c of changes) {
      if (c === r || c.end >= r.start) continue;
      const folder = folderOf(c);
      if (!fsynced(folder, c.end, r.start)) {
        const change = c.kind === 'mkdir' ? `mkdir ${c.path ?? ''}` : `${c.kind} -> ${c.to ?? ''}`;
        violations.push(`${what} (${line(r)}) before ${folder} was fsynced after ${change} (${line(c)})`);
      }
    }
  }

  const dayChanges = events.filter(
    (e) =>
      e.ok &&
      (((e.kind === 'rename' || e.kind === 'link') && DAY_FILE.test(e.to ?? '') && under(e.to)) ||
        (e.kind === 'unlink' && DAY_FILE.test(e.path ?? '') && under(e.path))),
  );
  for (const m of metadataWrites) {
    const next = dayChanges.find((d) => d.start > m.end);
    if (next !== undefined && !fsynced(dirname(m.to ?? ''), m.end, next.start)) {
      violations.push(
        `metadata written (${line(m)}) but its folder not fsynced before ${next.kind} ${next.to ?? next.path ?? ''} (${line(next)}), which relies on it`,
      );
    }
  }
  const auditWrites = events.filter(
    (e) => e.kind === 'write' && basename(e.path ?? '') === 'audit.jsonl' && under(e.path),
  );
  for (const a of auditWrites) {
    const next = [...metadataWrites, ...dayChanges].filter((x) => x.start > a.end).sort((x, y) => x.start - y.start)[0];
    if (next !== undefined && !fsynced(a.path ?? '', a.end, next.start)) {
      violations.push(
        `audit line written (${line(a)}) but not fsynced before ${next.kind} ${next.to ?? next.path ?? ''} (${line(next)})`,
      );
    }
  }
  const foldersCreated = events.filter((e) => e.kind === 'mkdir' && e.ok && under(e.path)).length;
  return {
    violations: [...new Set(violations)],
    counts: {
      placed: placed.length,
      sourcesDeleted: deletions.length,
      foldersCreated,
      metadataWrites: metadataWrites.length,
      auditWrites: auditWrites.length,
    },
  };
}
