/**
 * The `tickdb query` benchmark of issue 19, part of `npm run bench` (alone: `npm run bench -- --query-only`).
 *
 * 1. One symbol over a window of each of 30 days of ~50 MB (10 sealed `.db`, 20 `.db.zst`: 10 in db/, 10 in the
 *    archive), first run (empty query cache) and cached run, against a shell loop of `zstd -d` + `sqlite3` per day
 *    measured in the same run (targets on 2 cores: first run <= 0.6x the loop, cached run <= 0.1x). Best of --reps.
 *    Beside them, the first run's floor: its decoding and hashing done by `zstd -d` and `openssl dgst -sha256`,
 *    two files at a time, with no query (docs/performance.md, "Query speed, fourth session"). With `--release`, the
 *    release tree's first and cached runs too, alternated with the checkout's (scripts/bench-release.ts).
 * 2. One writer inserting 500 ticks/s into today for the whole measurement, in rounds of whole scans of today by
 *    `tickdb query` (at least 2.5 s), then the writer alone for exactly as long; its inserts are counted per phase,
 *    so the control (alone) and the scans share one run, one writer, one database, equal time, and the host's own
 *    disk stalls fall on both alike: no failed insert, p99 < 50 ms, max no worse than alone. Each round then has a
 *    second control as long (A/A: how far two maxima of the writer alone fall apart) and, as a reference, the same
 *    scan by the `sqlite3` CLI (read-only, nice 10) for as long: what any reader of the live database costs it.
 *    Then the same rounds with a writer that checkpoints on a second connection (`--checkpoint-every 1000`): the
 *    longest waits of the first writer are its own checkpoints, which a reader makes larger (docs/operations.md).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { addDays, dayRange, dayStartMs } from '../src/layout/day.js';
import {
  best,
  CHECKOUT,
  childCpuMs,
  fastest,
  maxSpread,
  phaseOf,
  median,
  ratio,
  settleDisk,
  startWriter,
  timeCommand,
  timeTickdb,
  type TickdbRuntime,
  type WriterStats,
} from './bench-cli.js';

const MiB = 1024 * 1024;
const TODAY = '2026-04-10';
const NOW = `${TODAY}T06:00:00Z`;
const FIRST = addDays(TODAY, -30);
const LAST = addDays(TODAY, -1);
/** 08:30 to 08:35 UTC of each day (the simulated ticks fill the first half of the day). */
const WINDOW = { from: 30_600n, to: 30_900n };
/** The writer of issue 19's item 3, and its alternated phases: alone, then beside scans of today. */
const WRITER_RATE = 500;
const ROUNDS = 6;
const PHASE_MS = 2500;
/** The scan of today, beside the writer: every row of the live database. */
const SCAN_SQL = 'SELECT symbol, count(*) AS n, sum(volume) AS volume FROM ticks GROUP BY symbol';
const SQL = `SELECT ts, bid, ask, last, volume FROM ticks WHERE symbol = :sym AND ts >= :day_start_ns + ${WINDOW.from}000000000 AND ts < :day_start_ns + ${WINDOW.to}000000000 ORDER BY ts`;

export interface BenchQueryResult {
  /** The tickdb of the main figures: this checkout on the benchmark's Node. */
  runtime: string;
  days: number;
  reps: number;
  dayMiB: number;
  rows: number;
  loopMs: number;
  firstMs: number;
  cachedMs: number;
  /**
   * The cached run again without NODE_EXTRA_CA_CERTS, when it is set (best of the reps): Node reads and parses that
   * bundle at every start, before any JavaScript (about 45 ms on the development VM, a fifth of the cached run); the
   * loop's C tools do not. Both figures are printed; undefined when the variable is not set.
   */
  cachedWithoutCaMs: number | undefined;
  /**
   * The same first and cached runs by the release tree (`--release`: its Node and addons, scripts/bench-release.ts),
   * alternated with the others in each rep; best wall of the reps, median CPU.
   */
  release?: {
    label: string;
    firstMs: number;
    firstMaxRssMiB: number;
    cachedMs: number;
    cpuMs: { first: number; cached: number };
  };
  /** floorScript's wall time (best of the reps), undefined without openssl. */
  floorMs: number | undefined;
  firstMaxRssMiB: number;
  /** Medians over the reps of the CPU time (user + system, children included) of each command. */
  cpuMs: { loop: number; first: number; cached: number; floor: number | undefined };
  /** The 1-minute load average before and after the timed reps. */
  load: { before: number; after: number };
  scans: number;
  /** The writer's inserts while scans of today ran, and while nothing of ours ran (alternated, same run). */
  writer: WriterStats & { seconds: number };
  writerAlone: WriterStats & { seconds: number };
  /** A second control as long, right after the first in each round: the spread of the writer's maxima alone (A/A). */
  writerAloneAgain: WriterStats & { seconds: number };
  /** The same scans of today by the sqlite3 CLI (read-only, nice 10), as long, in each round: a reference. */
  cliScans: number;
  writerSqlite3: WriterStats & { seconds: number };
  /** The same rounds with a writer that checkpoints on a second connection (tick-writer --checkpoint-every 1000). */
  writerOffPath: WriterStats & { seconds: number };
  writerOffPathAlone: WriterStats & { seconds: number };
  /** Inserts done over the whole run, and the inserts its rate asked for (fewer: the writer was CPU-starved). */
  writerInserts: number;
  writerExpected: number;
}

const file = (root: string, tier: string, day: string, ext: string): string =>
  join(root, tier, day.slice(0, 4), day.slice(5, 7), `ticks_${day}${ext}`);

/** The shell loop an investigator runs today: for each day, decompress it if needed, then sqlite3. */
function loopScript(root: string, scratch: string): string {
  const lines = ['set -e'];
  for (const day of dayRange(FIRST, LAST)) {
    const start = BigInt(dayStartMs(day)) * 1_000_000n;
    const sql = `SELECT ts, bid, ask, last, volume FROM ticks WHERE symbol = 'AAPL' AND ts >= ${start + WINDOW.from * 1_000_000_000n} AND ts < ${start + WINDOW.to * 1_000_000_000n} ORDER BY ts;`;
    const db = file(root, 'db', day, '.db');
    const zst = [file(root, 'db', day, '.db.zst'), file(root, 'archive', day, '.db.zst')];
    lines.push(
      `if [ -f ${db} ]; then D=${db}; else for Z in ${zst.join(' ')}; do [ -f $Z ] && zstd -d -q -f $Z -o ${scratch}; done; D=${scratch}; fi`,
    );
    lines.push(`sqlite3 -csv $D "${sql}" >> ${scratch}.csv`);
  }
  return lines.join('\n');
}

/**
 * The first run's floor: the work it must do (decode each compressed day to a file, hash its `.zst` with SHA-256)
 * done by the C tools, two at a time on the 2 cores, with no query. `openssl dgst` because coreutils' `sha256sum`
 * on Debian 12 does not use the CPU's SHA instructions (3x slower here), which would flatter tickdb.
 */
function floorScript(root: string, out: string): string {
  const zst = dayRange(FIRST, LAST).flatMap((day) =>
    [file(root, 'db', day, '.db.zst'), file(root, 'archive', day, '.db.zst')].filter((f) => existsSync(f)),
  );
  return [
    'set -e',
    `printf '%s\\n' ${zst.join(' ')} |`,
    `  xargs -P2 -I{} sh -c 'openssl dgst -sha256 "$1" >/dev/null && zstd -d -q -f "$1" -o ${out}/$(basename "$1" .zst)' _ {}`,
  ].join('\n');
}

export async function benchQuery(
  work: string,
  opts: { mb: number; reps: number; release?: TickdbRuntime },
  log: (line: string) => void,
): Promise<BenchQueryResult> {
  const root = join(work, 'query-root');
  const cache = join(work, 'query-cache');
  const config = join(work, 'query-config.json');
  /** Every tickdb command of this benchmark runs on the same tree, config and clock. */
  const tree = ['--root', root, '--config', config, '--now', NOW, '--log-level', 'warn'];
  // Ages 1-10 sealed, 11-20 compressed in db/, 21-30 in the archive; level 3 keeps the set-up short (the level
  // changes the decompression little); no backups, which the benchmark does not read.
  writeFileSync(
    config,
    JSON.stringify({
      compressAfterDays: 11,
      archiveAfterDays: 21,
      purgeAfterDays: 400,
      backupRetentionDays: 0,
      compressionLevel: 3,
      queryCache: { dir: cache, maxBytes: 8 * 1024 * MiB },
    }),
  );
  const rows = Math.round((opts.mb * MiB) / 78.6);
  if (existsSync(file(root, 'db', LAST, '.db')) && existsSync(file(root, 'archive', FIRST, '.db.zst'))) {
    log(`query: reusing the 30 days of ${root} (--work given again)`);
  } else {
    log(
      `query: simulating 30 days of ${rows} ticks (~${opts.mb} MB each), then sealing and compressing 20 of them ...`,
    );
    const sim = timeTickdb(['simulate', '--days', '30', '--rows', String(rows), ...tree], {}, work);
    if (sim.code !== 0) throw new Error(`simulate failed: ${sim.stderr}`);
    const run = timeTickdb(['run', '--once', ...tree], {}, work);
    if (run.code !== 0) throw new Error(`run --once failed: ${run.stdout} ${run.stderr}`);
  }
  const dayMiB = statSync(file(root, 'db', LAST, '.db')).size / MiB;

  const scratch = join(work, 'query-loop.db');
  const script = join(work, 'query-loop.sh');
  writeFileSync(script, loopScript(root, scratch));
  const floorDir = join(work, 'query-floor');
  const floor = join(work, 'query-floor.sh');
  writeFileSync(floor, floorScript(root, floorDir));
  const withFloor = spawnSync('openssl', ['version']).status === 0;
  const out = join(work, 'query-out.csv');
  const query = [
    'query',
    SQL,
    '--param',
    'sym=AAPL',
    '--from',
    FIRST,
    '--to',
    LAST,
    '--format',
    'csv',
    '-o',
    out,
    '--force',
    ...tree,
  ];
  // Alternated, rep after rep: the loop, then tickdb with an empty cache, then cached; wall time and CPU time (user +
  // system of the command and its children), since on a shared host the wall time is mostly other people's load.
  const loop: number[] = [];
  const first: { ms: number; rss: number }[] = [];
  const cached: number[] = [];
  const cachedWithoutCa: number[] = [];
  const certs = process.env.NODE_EXTRA_CA_CERTS !== undefined;
  const floorRuns: number[] = [];
  const cpu = { loop: [] as number[], first: [] as number[], cached: [] as number[], floor: [] as number[] };
  const rel = {
    first: [] as { ms: number; rss: number }[],
    cached: [] as number[],
    cpuFirst: [] as number[],
    cpuCached: [] as number[],
  };
  const cpuOf = <T>(list: number[], run: () => T): T => {
    const before = childCpuMs() ?? 0;
    const result = run();
    list.push((childCpuMs() ?? 0) - before);
    return result;
  };
  const releaseLine = (i: number): string =>
    opts.release === undefined
      ? ''
      : `; ${opts.release.label}: first ${rel.first[i]?.ms.toFixed(0)} ms (CPU ${rel.cpuFirst[i]}), cached ${rel.cached[i]?.toFixed(0)} ms (CPU ${rel.cpuCached[i]})`;
  const loadBefore = loadavg()[0] ?? 0;
  let resultRows = 0;
  for (let i = 0; i < opts.reps; i++) {
    rmSync(`${scratch}.csv`, { force: true });
    settleDisk();
    loop.push(cpuOf(cpu.loop, () => timeCommand('bash', [script])));
    rmSync(cache, { recursive: true, force: true });
    settleDisk();
    const a = cpuOf(cpu.first, () => timeTickdb(query, {}, work));
    if (a.code !== 0) throw new Error(`tickdb query failed: ${a.stderr}`);
    first.push({ ms: a.ms, rss: a.maxRssMiB });
    const b = cpuOf(cpu.cached, () => timeTickdb(query, {}, work));
    if (b.code !== 0) throw new Error(`tickdb query failed: ${b.stderr}`);
    cached.push(b.ms);
    if (certs) {
      const c = timeTickdb(query, {}, work, ['env', '-u', 'NODE_EXTRA_CA_CERTS']);
      if (c.code !== 0) throw new Error(`tickdb query failed: ${c.stderr}`);
      cachedWithoutCa.push(c.ms);
    }
    if (opts.release !== undefined) {
      rmSync(cache, { recursive: true, force: true });
      settleDisk();
      const r1 = cpuOf(rel.cpuFirst, () => timeTickdb(query, {}, work, [], opts.release));
      if (r1.code !== 0) throw new Error(`tickdb query (${opts.release.label}) failed: ${r1.stderr}`);
      rel.first.push({ ms: r1.ms, rss: r1.maxRssMiB });
      const r2 = cpuOf(rel.cpuCached, () => timeTickdb(query, {}, work, [], opts.release));
      if (r2.code !== 0) throw new Error(`tickdb query (${opts.release.label}) failed: ${r2.stderr}`);
      rel.cached.push(r2.ms);
    }
    if (withFloor) {
      rmSync(floorDir, { recursive: true, force: true });
      mkdirSync(floorDir);
      settleDisk();
      floorRuns.push(cpuOf(cpu.floor, () => timeCommand('bash', [floor])));
      rmSync(floorDir, { recursive: true, force: true });
    }
    resultRows = readFileSync(out, 'utf8').trimEnd().split('\r\n').length - 1;
    const loopRows = readFileSync(`${scratch}.csv`, 'utf8').trimEnd().split('\n').length;
    if (resultRows !== loopRows)
      throw new Error(`tickdb query returned ${resultRows} rows, the shell loop ${loopRows}`);
    log(
      `query ${i + 1}/${opts.reps}: loop ${loop[i]?.toFixed(0)} ms (CPU ${cpu.loop[i]}), first ${a.ms.toFixed(0)} ms (CPU ${cpu.first[i]}), cached ${b.ms.toFixed(0)} ms (CPU ${cpu.cached[i]})${releaseLine(i)}; ${resultRows} rows, load ${loadavg()[0]?.toFixed(1)}`,
    );
  }
  const load = { before: loadBefore, after: loadavg()[0] ?? 0 };

  // Today: a day's worth of ticks in WAL mode, the writer inserting, and full scans of it one after the other.
  const today = file(root, 'db', TODAY, '.db');
  copyFileSync(file(root, 'db', LAST, '.db'), today);
  for (const side of ['-wal', '-shm']) rmSync(`${today}${side}`, { force: true });
  const scanArgs = ['query', SCAN_SQL, '--from', TODAY, '--format', 'csv', ...tree];
  settleDisk();
  log(
    `query: one writer inserting ${WRITER_RATE} ticks/s into today, ${ROUNDS} rounds of scans of today (at least ${PHASE_MS / 1000} s), each followed by the writer alone as long, twice, then by as long of the same scans by sqlite3 ...`,
  );
  /** Whole scans of today by tickdb, one after the other, for at least PHASE_MS: how many, and how long they took. */
  const scanRound = (): { count: number; ms: number } => {
    const t0 = performance.now();
    let count = 0;
    do {
      const r = timeTickdb(scanArgs, {}, work);
      if (r.code !== 0) throw new Error(`scan of today failed: ${r.stderr}`);
      count++;
    } while (performance.now() - t0 < PHASE_MS);
    return { count, ms: performance.now() - t0 };
  };
  const writer = await startWriter(today, WRITER_RATE);
  let scans = 0;
  let cliScans = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // Scans (whole ones, for at least PHASE_MS), then the writer alone for exactly as long.
    await writer.phase('scans');
    const { count, ms: scanned } = scanRound();
    scans += count;
    await writer.controls(scanned);
    // The reference: the same scan by the sqlite3 CLI, read-only, at tickdb's nice 10, for as long (any reader of a
    // WAL database keeps the writer's checkpoints from resetting the log; this shows what that costs the writer).
    await writer.phase('sqlite3');
    const s0 = performance.now();
    do {
      const r = spawnSync('nice', ['-n', '10', 'sqlite3', '-readonly', today, SCAN_SQL], { stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`sqlite3 scan of today failed (exit ${r.status})`);
      cliScans++;
    } while (performance.now() - s0 < scanned);
  }
  const stats = await writer.stop();
  // The same rounds with a writer that checkpoints on a second connection, off its insert path (autocheckpoint off,
  // a PASSIVE checkpoint every second): what the writer's longest waits are made of (docs/operations.md).
  const offPath = await startWriter(today, WRITER_RATE, ['--checkpoint-every', '1000']);
  for (let round = 0; round < ROUNDS; round++) {
    await offPath.phase('scans');
    const { ms } = scanRound();
    await offPath.phase('alone');
    await new Promise((r) => setTimeout(r, ms));
  }
  const offPathStats = await offPath.stop();
  const during = phaseOf(stats, 'scans');
  const alone = phaseOf(stats, 'alone');
  const aloneAgain = phaseOf(stats, 'alone again');
  const beside = phaseOf(stats, 'sqlite3');
  const best1 = fastest(first);
  const release =
    opts.release === undefined
      ? undefined
      : {
          label: opts.release.label,
          firstMs: fastest(rel.first).ms,
          firstMaxRssMiB: fastest(rel.first).rss,
          cachedMs: best(rel.cached),
          cpuMs: { first: median(rel.cpuFirst), cached: median(rel.cpuCached) },
        };
  return {
    runtime: CHECKOUT.label,
    days: 30,
    reps: opts.reps,
    dayMiB,
    rows: resultRows,
    loopMs: best(loop),
    firstMs: best1.ms,
    firstMaxRssMiB: best1.rss,
    cachedMs: best(cached),
    cachedWithoutCaMs: certs ? best(cachedWithoutCa) : undefined,
    floorMs: withFloor ? best(floorRuns) : undefined,
    release,
    cpuMs: {
      loop: median(cpu.loop),
      first: median(cpu.first),
      cached: median(cpu.cached),
      floor: withFloor ? median(cpu.floor) : undefined,
    },
    load,
    scans,
    writer: during,
    writerAlone: alone,
    writerAloneAgain: aloneAgain,
    cliScans,
    writerSqlite3: beside,
    writerOffPath: phaseOf(offPathStats, 'scans'),
    writerOffPathAlone: phaseOf(offPathStats, 'alone'),
    writerInserts: stats.inserts,
    writerExpected: stats.expected ?? 0,
  };
}

const check = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
const waits = (w: WriterStats & { seconds: number }): string =>
  `${w.inserts} inserts in ${w.seconds.toFixed(1)} s, ${w.failures} failed, p99 ${w.p99Ms.toFixed(1)} ms, max ${w.maxMs.toFixed(1)} ms, ${w.over50Ms} over 50 ms`;

export function formatBenchQuery(r: BenchQueryResult): string {
  return [
    `query: one symbol, 08:30-08:35 of each of ${r.days} days of ${r.dayMiB.toFixed(1)} MiB (10 sealed, 10 .zst in db/, 10 in archive/), ${r.rows} rows`,
    `  best wall of ${r.reps} alternated reps; CPU (user + sys) is the median; load average ${r.load.before.toFixed(1)} before, ${r.load.after.toFixed(1)} after; tickdb: ${r.runtime}`,
    `  zstd -d + sqlite3, shell loop      ${r.loopMs.toFixed(0)} ms, CPU ${r.cpuMs.loop} ms`,
    `  tickdb query, empty cache          ${r.firstMs.toFixed(0)} ms, CPU ${r.cpuMs.first} ms, peak RSS ${r.firstMaxRssMiB.toFixed(0)} MiB  ${ratio(r.firstMs, r.loopMs)}x  (target <= 0.6x: ${check(r.firstMs <= 0.6 * r.loopMs)})`,
    r.floorMs === undefined
      ? "  (no openssl: the first run's floor, zstd -d + SHA-256 two at a time, not measured)"
      : `${'  its floor, C tools 2 at once'.padEnd(37)}${r.floorMs.toFixed(0)} ms, CPU ${r.cpuMs.floor} ms  ${ratio(r.floorMs, r.loopMs)}x  (openssl dgst and zstd -d of each .zst, no query)`,
    `  tickdb query, cached               ${r.cachedMs.toFixed(0)} ms, CPU ${r.cpuMs.cached} ms  ${ratio(r.cachedMs, r.loopMs)}x  (target <= 0.1x: ${check(r.cachedMs <= 0.1 * r.loopMs)})`,
    ...(r.cachedWithoutCaMs === undefined
      ? []
      : [
          `  NODE_EXTRA_CA_CERTS is set: Node parses that bundle at every start; the cached run without it (env -u):`,
          `  tickdb query, cached               ${r.cachedWithoutCaMs.toFixed(0)} ms  ${ratio(r.cachedWithoutCaMs, r.loopMs)}x  (target <= 0.1x: ${check(r.cachedWithoutCaMs <= 0.1 * r.loopMs)})`,
        ]),
    ...(r.release === undefined
      ? []
      : [
          `  ${r.release.label} (what the .deb and the tarball run), against the same loop:`,
          `  tickdb query, empty cache          ${r.release.firstMs.toFixed(0)} ms, CPU ${r.release.cpuMs.first} ms, peak RSS ${r.release.firstMaxRssMiB.toFixed(0)} MiB  ${ratio(r.release.firstMs, r.loopMs)}x  (target <= 0.6x: ${check(r.release.firstMs <= 0.6 * r.loopMs)})`,
          `  tickdb query, cached               ${r.release.cachedMs.toFixed(0)} ms, CPU ${r.release.cpuMs.cached} ms  ${ratio(r.release.cachedMs, r.loopMs)}x  (target <= 0.1x: ${check(r.release.cachedMs <= 0.1 * r.loopMs)})`,
        ]),
    `  one writer at ${WRITER_RATE}/s, ${ROUNDS} alternated rounds: ${r.writerInserts} of the ${r.writerExpected} inserts its rate asked for`,
    `    beside ${String(r.scans).padEnd(3)} scans of today       ${waits(r.writer)} (targets: none failed, p99 < 50 ms, max <= alone: ${check(r.writer.failures === 0 && r.writer.p99Ms < 50 && r.writer.maxMs <= r.writerAlone.maxMs)})`,
    `    alone (the control)            ${waits(r.writerAlone)}`,
    `    alone again (A/A)              ${waits(r.writerAloneAgain)}`,
    `    ${maxSpread(r.writer, r.writerAlone, r.writerAloneAgain)}`,
    `    beside ${String(r.cliScans).padEnd(3)} sqlite3 scans (ref.) ${waits(r.writerSqlite3)}`,
    `  the same rounds, the writer checkpointing on a second connection (tick-writer --checkpoint-every 1000):`,
    `    beside the scans               ${waits(r.writerOffPath)} (max <= alone: ${check(r.writerOffPath.maxMs <= r.writerOffPathAlone.maxMs)})`,
    `    alone                          ${waits(r.writerOffPathAlone)}`,
  ].join('\n');
}
