/**
 * A stand-in for the trading engine's writer, for tests and benchmarks: inserts ticks into a day's database at a
 * steady rate, one autocommit transaction per tick (the worst case for lock waits), and times every insert.
 *
 *   node dist/scripts/tick-writer.js --db PATH [--rate 2000] [--busy-timeout 5000] [--log-slow MS]
 *     [--checkpoint-every MS] [--synchronous NORMAL|FULL]
 *
 * Commands on stdin, one per line: `switch PATH` (midnight: open the next day's database, close the old one),
 * `phase NAME` (the inserts from now on count towards phase NAME too: a benchmark alternates "alone" and "beside
 * something" in one run, on one database), `stop` (close and exit). On `stop`, or SIGTERM, it prints one JSON line
 * on stdout: rows committed per file, failed inserts, the insert latency (p50, p99, max in ms, and how many inserts
 * waited over 50 ms), the same per phase with each phase's seconds (`phases`), and the inserts the rate asked for
 * over the whole run (`expected`: fewer done means the timer fired late, the process was starved of CPU). It prints
 * `ready` on stderr once it writes and listens for all three.
 * `--log-slow MS` also prints each insert that took longer, with its wall-clock time, on stderr: to line a stall up
 * with what another process did then (`strace -tt`).
 * `--checkpoint-every MS` turns the insert connection's autocheckpoint off and runs `PRAGMA wal_checkpoint(PASSIVE)`
 * every MS on a connection of another process: a writer that checkpoints off its insert path (docs/operations.md,
 * "The writer's longest waits"). The JSON line then has `checkpoints` and `checkpointMaxMs`.
 * `--synchronous MODE` (default NORMAL, the WAL default of better-sqlite3's SQLite): FULL fsyncs the WAL at every
 * commit.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';

interface Args {
  db: string;
  rate: number;
  busyTimeout: number;
  logSlowMs: number | undefined;
  checkpointEveryMs: number | undefined;
  synchronous: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const db = get('db');
  if (db === undefined) throw new Error('usage: tick-writer --db PATH [--rate N] [--busy-timeout MS]');
  const logSlow = get('log-slow');
  const every = get('checkpoint-every');
  const checkpointEveryMs = every === undefined ? undefined : Number(every);
  if (checkpointEveryMs !== undefined && !(checkpointEveryMs >= 10))
    throw new Error(`--checkpoint-every takes milliseconds, at least 10, not ${every}`);
  const synchronous = (get('synchronous') ?? 'NORMAL').toUpperCase();
  if (!['OFF', 'NORMAL', 'FULL', 'EXTRA'].includes(synchronous))
    throw new Error(`--synchronous takes OFF, NORMAL, FULL or EXTRA, not ${synchronous}`);
  return {
    checkpointEveryMs,
    synchronous,
    db,
    rate: Number(get('rate') ?? 2000),
    busyTimeout: Number(get('busy-timeout') ?? 5000),
    logSlowMs: logSlow === undefined ? undefined : Number(logSlow),
  };
}

function open(
  path: string,
  args: Args,
  autocheckpoint: boolean,
): { db: Database.Database; insert: Database.Statement } {
  const db = new Database(path);
  db.pragma(`busy_timeout = ${args.busyTimeout}`);
  db.pragma('journal_mode = WAL');
  // Explicit: better-sqlite3 builds SQLite with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1, so a WAL connection runs NORMAL
  // (no fsync at commit, only at checkpoints) unless told otherwise.
  db.pragma(`synchronous = ${args.synchronous}`);
  if (!autocheckpoint) db.pragma('wal_autocheckpoint = 0');
  db.exec(`CREATE TABLE IF NOT EXISTS ticks (ts INTEGER NOT NULL, symbol TEXT NOT NULL, bid REAL, ask REAL,
    bid_size INTEGER, ask_size INTEGER, last REAL, volume INTEGER)`);
  const insert = db.prepare(
    'INSERT INTO ticks (ts, symbol, bid, ask, bid_size, ask_size, last, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  return { db, insert };
}

/**
 * The checkpointer of --checkpoint-every: another process (as an engine's checkpointer would be), with its own
 * connection. Lines on its stdin: a path (`switch`: open that database instead) or `stop` (it prints
 * `{"count":N,"maxMs":M}` and exits).
 */
const CHECKPOINTER = `
const Database = require(process.argv[1]);
const [everyMs, busyTimeout] = [Number(process.argv[3]), Number(process.argv[4])];
const open = (path) => { const db = new Database(path); db.pragma('busy_timeout = ' + busyTimeout); return db; };
let db = open(process.argv[2]);
let count = 0, maxMs = 0;
const timer = setInterval(() => {
  const t0 = performance.now();
  db.pragma('wal_checkpoint(PASSIVE)');
  maxMs = Math.max(maxMs, performance.now() - t0);
  count++;
}, everyMs);
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'stop') { clearInterval(timer); db.close(); process.stdout.write(JSON.stringify({ count, maxMs }) + '\\n'); process.exit(0); }
  db.close();
  db = open(line);
});
`;

function startCheckpointer(path: string, args: Args): ChildProcessWithoutNullStreams {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const child = spawn(process.execPath, [
    '-e',
    CHECKPOINTER,
    module,
    path,
    String(args.checkpointEveryMs),
    String(args.busyTimeout),
  ]);
  child.stderr.pipe(process.stderr);
  child.on('exit', (code) => {
    if (code !== 0) {
      process.stderr.write(`checkpointer exited with ${code}\n`);
      process.exit(1);
    }
  });
  return child;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface Phase {
  latencies: number[];
  failures: number;
  ms: number;
}

function stats(latencies: number[], failures: number): Record<string, number> {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    failures,
    inserts: latencies.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? 0,
    over50Ms: sorted.filter((ms) => ms > 50).length,
  };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const autocheckpoint = args.checkpointEveryMs === undefined;
  let current = open(args.db, args, autocheckpoint);
  const checkpointer = args.checkpointEveryMs === undefined ? undefined : startCheckpointer(args.db, args);
  let currentPath = args.db;
  const committed: Record<string, number> = { [currentPath]: 0 };
  const latencies: number[] = [];
  let failures = 0;
  let seq = 0n;
  let stopping = false;
  const base = BigInt(Date.now()) * 1_000_000n;
  const perTick = Math.max(1, Math.round(args.rate / 100)); // 100 ticks of the timer per second
  const started = performance.now();
  const phases = new Map<string, Phase>();
  let phase: Phase | undefined;
  let phaseSince = started;
  const endPhase = (): void => {
    if (phase !== undefined) phase.ms += performance.now() - phaseSince;
    phase = undefined;
  };

  const timer = setInterval(() => {
    for (let i = 0; i < perTick && !stopping; i++) {
      seq += 1n;
      const t0 = performance.now();
      try {
        current.insert.run(base + seq, 'AAPL', 100.01, 100.02, 100, 200, 100.015, Number(seq % 7n));
        committed[currentPath] = (committed[currentPath] ?? 0) + 1;
      } catch (err) {
        failures++;
        if (phase !== undefined) phase.failures++;
        process.stderr.write(`insert failed: ${(err as Error).message}\n`);
      }
      const ms = performance.now() - t0;
      latencies.push(ms);
      phase?.latencies.push(ms);
      if (args.logSlowMs !== undefined && ms > args.logSlowMs)
        process.stderr.write(`slow insert: ${ms.toFixed(1)} ms, ended ${new Date().toISOString()}\n`);
    }
  }, 10);

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    endPhase();
    const seconds = (performance.now() - started) / 1000;
    const byPhase = Object.fromEntries(
      [...phases].map(([name, p]) => [name, { seconds: p.ms / 1000, ...stats(p.latencies, p.failures) }]),
    );
    const report = (checkpoints: { count: number; maxMs: number } | undefined): void => {
      current.db.close();
      const extra =
        checkpoints === undefined ? {} : { checkpoints: checkpoints.count, checkpointMaxMs: checkpoints.maxMs };
      process.stdout.write(
        `${JSON.stringify({ committed, ...stats(latencies, failures), seconds, expected: Math.floor(seconds * perTick * 100), phases: byPhase, ...extra })}\n`,
      );
      process.exit(0);
    };
    if (checkpointer === undefined) {
      report(undefined);
      return;
    }
    let out = '';
    checkpointer.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.endsWith('\n')) report(JSON.parse(out) as { count: number; maxMs: number });
    });
    checkpointer.stdin.write('stop\n');
  };

  createInterface({ input: process.stdin }).on('line', (line) => {
    const trimmed = line.trim();
    const space = trimmed.indexOf(' ');
    const cmd = space < 0 ? trimmed : trimmed.slice(0, space);
    const path = space < 0 ? undefined : trimmed.slice(space + 1);
    if (cmd === 'switch' && path !== undefined) {
      const next = open(path, args, autocheckpoint);
      const old = current;
      current = next;
      currentPath = path;
      committed[path] = committed[path] ?? 0;
      old.db.close();
      // After the close: the checkpointer's connection is then the last on the old day, and the checkpoint SQLite
      // runs when the last connection closes happens there, not in this process.
      checkpointer?.stdin.write(`${path}\n`);
      process.stderr.write(`switched ${path}\n`);
    } else if (cmd === 'phase' && path !== undefined) {
      endPhase();
      phase = phases.get(path) ?? { latencies: [], failures: 0, ms: 0 };
      phases.set(path, phase);
      phaseSince = performance.now();
      process.stderr.write(`phase ${path}\n`);
    } else if (cmd === 'stop') {
      stop();
    }
  });
  process.on('SIGTERM', stop);
  // Last: a test that acts on `ready` (stop, SIGTERM) must find the handlers in place.
  process.stderr.write('ready\n');
}

main();
