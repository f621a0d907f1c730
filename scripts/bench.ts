/**
 * `npm run bench`: the performance targets of DESIGN section 8 and issues 4-5, measured on the real CLI against
 * the `sqlite3`, `cp` and `zstd` CLIs in the same run, on one generated day of at least 200 MB.
 *
 *   npm run bench [-- --mb 210] [--reps 3] [--work DIR] [--json] [--rotation-only] [--query-only] [--query-mb 50] [--export-only] [--export-mb 210]
 *     [--startup-only] [--zstd-only] [--service-priority] [--s3-only] [--s3-mb 200] [--release]
 *
 * `--release` also runs the start-up, query and export steps with the release tree of `npm run package` (its own
 * Node runtime and the addons built for it, scripts/bench-release.ts), alternated with the checkout: what the .deb
 * and the tarball install. Building that tree takes minutes the first time (cached in release/.cache).
 *
 * `--service-priority` runs the measured `tickdb compress` and `tickdb decompress` as the service unit runs the agent
 * (`chrt --idle 0 ionice -c 2 -n 7`, SERVICE_PRIORITY), the condition issue 22 names for the writer's waits; without
 * it they run at the nice 10 tickdb sets itself, as a user runs them. The report says which.
 *
 * `--zstd-only` runs steps 2 and 3 alone (the day is sealed by one untimed rotation first): `--zstd-only --mb 1024`
 * is the 1 GiB day of the peak-RSS target.
 *
 * 0. start-up (scripts/bench-startup.ts): `tickdb --version` (target <= 80 ms) and `tickdb status` on 200 days
 *    (target <= 300 ms), medians alternated with `node -e 0`;
 * 1. rotation: `tickdb rotate` sealing + backing up the day, vs `sqlite3 DB "PRAGMA integrity_check"` + `cp`
 *    (target <= 1.5x), with a writer inserting into today meanwhile (its longest waits: target < 50 ms);
 * 2. compression: `tickdb compress` (verification included) vs `zstd -19 FILE` (target <= 0.6x) and
 *    `zstd -19 -T0` (target <= 1.0x), size vs the CLI's (<= 1.01x), peak RSS (target on a 1 GiB day, --mb 1024:
 *    <= 400 MB), the writer's waits meanwhile;
 *    plus the engine alone (scripts/bench-zstd.ts) on the same file;
 * 3. decompression (scripts/bench-decompress.ts): `tickdb decompress` (hash check included) vs `zstd -d` (target
 *    <= 0.8x); and, both made durable, `tickdb decompress --sync` vs `zstd -d` + `sync` of the file and its folder;
 *    one writer through the step, its waits counted per phase (tickdb, alone as long and interleaved, zstd -d).
 * 4. S3 upload (scripts/bench-s3.ts, alone with --s3-only): `tickdb archive` of a --s3-mb MiB day to a throwaway
 *    Ceph RGW vs `curl -T` + `curl | sha256sum` of the same bytes; skipped, with a line saying why, without radosgw.
 * The writer inserts 500 ticks a second; its target: p99 < 50 ms and a longest wait no worse than the control's.
 * Short steps are the best of --reps runs; compression at level 19 is long and runs once. Each writer measurement
 * has a control of the same length, the writer alone: after the rotations (`writerAlone`), after the compression
 * (the same writer, phase `alone`), interleaved with the decompressions (phases, see bench-decompress.ts).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { configSchema } from '../src/config/schema.js';
import { addDays } from '../src/layout/day.js';
import { benchStartup, formatStartup, type StartupFigures } from './bench-startup.js';
import { benchDecompress, type DecompressFigures, formatDecompress } from './bench-decompress.js';
import { benchZstd, formatBenchZstd, type BenchZstdResult } from './bench-zstd.js';
import {
  best,
  maxSpread,
  phaseOf,
  ratio,
  rssFlat,
  SERVICE_PRIORITY,
  settleDisk,
  spin,
  startWriter,
  timeCommand,
  timeTickdb,
  writerAlone,
  type WriterStats,
} from './bench-cli.js';
import { benchExport, formatBenchExport } from './bench-export.js';
import { benchQuery, formatBenchQuery } from './bench-query.js';
import { releaseRuntime } from './bench-release.js';
import { benchS3, formatBenchS3 } from './bench-s3.js';

const NOW = '2026-03-10T06:00:00Z';
const TODAY = '2026-03-10';
const DAY = addDays(TODAY, -1);
const MiB = 1024 * 1024;
/** The writer's rate in every measurement (issue 22: 500 ticks a second). */
const WRITER_RATE = 500;
const dayPath = (root: string, tier: string, day: string, ext = '.db'): string =>
  join(root, tier, day.slice(0, 4), day.slice(5, 7), `ticks_${day}${ext}`);

interface Figures {
  bytes: number;
  /** How the measured compress and decompress runs were prioritised (`--service-priority`). */
  priority: string;
  /** Absent with --zstd-only. */
  startup?: StartupFigures;
  /** Absent with --zstd-only. */
  rotation?: {
    tickdbMs: number;
    baselineMs: number;
    integrityMs: number;
    cpMs: number;
    writer: WriterStats;
    writerAlone: WriterStats;
  };
  compression: {
    tickdbMs: number;
    tickdbCpuMs: number;
    maxRssMiB: number;
    rss: ReturnType<typeof rssFlat>;
    zstBytes: number;
    writer: WriterStats;
    writerAlone: WriterStats;
    /** A second control as long right after the first: how far apart two maxima of the writer alone fall (A/A). */
    writerAloneAgain: WriterStats;
    /** The same writer beside `zstd -19 -T0` + `sync OUT` at the same priority: the CLI doing the same durable job. */
    writerZstd: WriterStats;
    /** The same writer beside `spinners` shell loops at the same priority, as long: the platform's share. */
    writerSpinners: WriterStats;
    spinners: number;
    zstdSyncMs: number;
    engine: BenchZstdResult;
  };
  decompression: DecompressFigures;
}

function worst(stats: WriterStats[]): WriterStats {
  return stats.reduce((a, b) => ({
    inserts: a.inserts + b.inserts,
    failures: a.failures + b.failures,
    over50Ms: a.over50Ms + b.over50Ms,
    p50Ms: Math.max(a.p50Ms, b.p50Ms),
    p99Ms: Math.max(a.p99Ms, b.p99Ms),
    maxMs: Math.max(a.maxMs, b.maxMs),
  }));
}

function check(ok: boolean): string {
  return ok ? 'ok' : 'MISSED';
}

const USAGE = `usage: npm run bench [-- OPTIONS]   (or: node dist/scripts/bench.js OPTIONS)
  --mb N              size of the rotation/compression day in MiB (210; 1024 for the peak-RSS target)
  --reps N            repetitions of the short steps (3)
  --work DIR          where the generated trees go (a new temporary folder)
  --json              print the figures as JSON
  --startup-only      tickdb --version and tickdb status on 200 days
  --rotation-only     the rotation step alone
  --zstd-only         compression and decompression alone
  --service-priority  measured compress/decompress at the service unit's priority
  --query-only        the query step (--query-mb N per day, 50)
  --export-only       the Parquet export step (--export-mb N, 210)
  --s3-only           the S3 upload step (--s3-mb N, 200; needs radosgw)
  --release           start-up, query and export also by the release tree (npm run package's Node and addons)
The steps and their targets: scripts/bench.ts and docs/performance.md.`;

/** The command line; a mistake in it prints the usage and exits 2, as tickdb's own commands do. */
function options() {
  try {
    const { values } = parseOptions();
    for (const name of ['mb', 'reps', 'query-mb', 'export-mb', 's3-mb'] as const) {
      const n = Number(values[name]);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not ${values[name]}`);
    }
    return values;
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    process.exit(2);
  }
}

function parseOptions() {
  return parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      mb: { type: 'string', default: '210' },
      reps: { type: 'string', default: '3' },
      work: { type: 'string' },
      json: { type: 'boolean', default: false },
      'rotation-only': { type: 'boolean', default: false },
      'query-only': { type: 'boolean', default: false },
      'query-mb': { type: 'string', default: '50' },
      'export-only': { type: 'boolean', default: false },
      'export-mb': { type: 'string', default: '210' },
      'startup-only': { type: 'boolean', default: false },
      'zstd-only': { type: 'boolean', default: false },
      'service-priority': { type: 'boolean', default: false },
      's3-only': { type: 'boolean', default: false },
      's3-mb': { type: 'string', default: '200' },
      release: { type: 'boolean', default: false },
    },
  });
}

async function main(): Promise<void> {
  const values = options();
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const reps = Number(values.reps);
  // The measured compress and decompress runs: at the nice 10 tickdb sets itself, as a user runs them, or with
  // --service-priority as the service unit runs the agent (the condition issue 22 names for the writer's waits).
  const prefix = values['service-priority'] === true ? SERVICE_PRIORITY : [];
  const work = values.work ?? mkdtempSync(join(tmpdir(), 'tickdb-bench-'));
  mkdirSync(work, { recursive: true });
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  // Every step but S3 and compression/decompression starts tickdb the same way, so each measures the release too.
  const needsRelease = values.release === true && values['s3-only'] !== true && values['zstd-only'] !== true;
  const release = needsRelease ? await releaseRuntime(work, log) : undefined;
  const queryBench = async (): Promise<void> => {
    const q = await benchQuery(work, { mb: Number(values['query-mb']), reps, release }, log);
    process.stdout.write(
      values.json === true ? `${JSON.stringify({ query: q }, null, 2)}\n` : `\n${formatBenchQuery(q)}\n`,
    );
  };
  const exportBench = async (): Promise<void> => {
    const e = await benchExport(work, { mb: Number(values['export-mb']), reps, release }, log);
    process.stdout.write(
      values.json === true ? `${JSON.stringify({ export: e }, null, 2)}\n` : `\n${formatBenchExport(e)}\n`,
    );
  };
  const s3Bench = async (): Promise<void> => {
    const s = await benchS3(work, { mb: Number(values['s3-mb']), reps }, log);
    process.stdout.write(values.json === true ? `${JSON.stringify({ s3: s }, null, 2)}\n` : `\n${formatBenchS3(s)}\n`);
  };
  try {
    if (values['s3-only'] === true) {
      await s3Bench();
      return;
    }
    if (values['export-only'] === true) {
      await exportBench();
      return;
    }
    if (values['query-only'] === true) {
      await queryBench();
      return;
    }
    const zstdOnly = values['zstd-only'] === true;
    let startup: StartupFigures | undefined;
    if (!zstdOnly) {
      log('start-up: tickdb --version and tickdb status on 200 days ...');
      startup = benchStartup(work, NOW, Math.max(5, reps * 3 + 2), 200, release);
    }
    if (values['startup-only'] === true && startup !== undefined) {
      process.stdout.write(
        values.json === true ? `${JSON.stringify({ startup }, null, 2)}\n` : `${formatStartup(startup)}\n`,
      );
      return;
    }
    // The day, as the writer leaves it: WAL mode, unsealed. About 78.6 bytes a tick with the index.
    const rows = Math.round((Number(values.mb) * MiB) / 78.6);
    const pristineRoot = join(work, 'pristine');
    log(`generating ${rows} ticks for ${DAY} ...`);
    const sim = timeTickdb(
      ['simulate', '--days', '1', '--rows', String(rows), '--root', pristineRoot, '--now', NOW, '--log-level', 'warn'],
      {},
      work,
    );
    if (sim.code !== 0) throw new Error(`simulate failed: ${sim.stderr}`);
    const pristine = dayPath(pristineRoot, 'db', DAY);
    const bytes = statSync(pristine).size;
    log(`${pristine}: ${(bytes / MiB).toFixed(1)} MiB`);

    let rotation: Figures['rotation'];
    if (zstdOnly) {
      // The day sealed and backed up by one untimed rotation, as steps 2 and 3 expect it.
      const root = join(work, 'rotate-0');
      mkdirSync(dirname(dayPath(root, 'db', DAY)), { recursive: true });
      copyFileSync(pristine, dayPath(root, 'db', DAY));
      const r = timeTickdb(['rotate', '--root', root, '--now', NOW, '--log-level', 'warn'], {}, work);
      if (r.code !== 0) throw new Error(`rotate failed: ${r.stdout} ${r.stderr}`);
    } else rotation = await benchRotation();

    async function benchRotation(): Promise<NonNullable<Figures['rotation']>> {
      // 1. Rotation.
      const baseline: { integrity: number; cp: number }[] = [];
      const rotate: number[] = [];
      const rotateWriters: WriterStats[] = [];
      for (let i = 0; i < reps; i++) {
        const copy = join(work, `baseline-${i}.db`);
        copyFileSync(pristine, copy);
        const integrity = timeCommand('sqlite3', [copy, 'PRAGMA integrity_check;']);
        const cp = timeCommand('cp', [copy, `${copy}.cp`]);
        baseline.push({ integrity, cp });
        rmSync(copy);
        rmSync(`${copy}.cp`);

        const root = join(work, `rotate-${i}`);
        mkdirSync(dirname(dayPath(root, 'db', DAY)), { recursive: true });
        copyFileSync(pristine, dayPath(root, 'db', DAY));
        settleDisk();
        const writer = await startWriter(dayPath(root, 'db', TODAY), WRITER_RATE);
        const r = timeTickdb(['rotate', '--root', root, '--now', NOW, '--log-level', 'warn'], {}, work);
        rotateWriters.push(await writer.stop());
        if (r.code !== 0) throw new Error(`rotate failed: ${r.stdout} ${r.stderr}`);
        rotate.push(r.ms);
        log(
          `rotation ${i + 1}/${reps}: tickdb ${r.ms.toFixed(0)} ms; sqlite3 integrity_check ${integrity.toFixed(0)} ms + cp ${cp.toFixed(0)} ms`,
        );
        if (i > 0) rmSync(root, { recursive: true });
      }
      const bestBaseline = baseline.reduce((a, b) => (a.integrity + a.cp <= b.integrity + b.cp ? a : b));
      log('the writer alone, as long as it ran during the rotations (control) ...');
      settleDisk();
      const rotateAlone = await writerAlone(
        join(work, 'control-rotation.db'),
        rotate.reduce((a, b) => a + b, 0),
        WRITER_RATE,
      );
      return {
        tickdbMs: best(rotate),
        baselineMs: bestBaseline.integrity + bestBaseline.cp,
        integrityMs: bestBaseline.integrity,
        cpMs: bestBaseline.cp,
        writer: worst(rotateWriters),
        writerAlone: rotateAlone,
      };
    }
    if (values['rotation-only'] === true && rotation !== undefined) {
      process.stdout.write(
        values.json === true
          ? `${JSON.stringify({ bytes, rotation }, null, 2)}\n`
          : `${rotationReport(bytes, rotation)}\n`,
      );
      return;
    }

    // 2. Compression of the sealed day, at the default level, a week later, with the writer on that day's today.
    const root = join(work, 'rotate-0');
    const later = addDays(TODAY, 7);
    settleDisk();
    // One writer on that day's today: its waits while tickdb compresses, then alone for exactly as long (the control:
    // the same process and database; until 2026-11-29 a second writer on a fresh database of its own).
    const writer = await startWriter(dayPath(root, 'db', later), WRITER_RATE);
    await writer.phase('tickdb');
    log('tickdb compress (level 19, verification included) ...');
    const c = timeTickdb(
      ['compress', '--root', root, '--now', `${later}T06:00:00Z`, '--log-level', 'warn'],
      {},
      work,
      prefix,
    );
    if (c.code !== 0) throw new Error(`compress failed: ${c.stdout} ${c.stderr}`);
    await writer.phase('between');
    settleDisk();
    log('the writer alone, as long as tickdb compress ran (control) ...');
    await writer.controls(c.ms);
    await writer.phase('between');
    // The reference: the CLI compressing the same day at the same priority, its output made durable as tickdb's is
    // (the writer's own checkpoint fsyncs queue behind whatever else is being written to the disk).
    settleDisk();
    await writer.phase('zstd -19 -T0 + sync');
    log('zstd -19 -T0 + sync OUT, at the same priority, beside the same writer (reference) ...');
    const referenceOut = join(work, 'writer-reference.zst');
    const script = 'zstd -19 -T0 -q -f "$0" -o "$1" && sync "$1"';
    // Without --service-priority tickdb runs at the nice 10 it sets itself: the reference too.
    const priority = prefix.length > 0 ? prefix : ['nice', '-n', '10'];
    const [cmd = 'sh', ...args] = [...priority, 'sh', '-c', script, dayPath(root, 'backup', DAY), referenceOut];
    const zstdSyncMs = timeCommand(cmd, args);
    rmSync(referenceOut);
    // The platform's share: as many spinning loops as tickdb's frame threads (the default compressionThreads, which
    // the bench's tree uses), at the same priority, as long as tickdb ran; they do no I/O.
    await writer.phase('between');
    settleDisk();
    const spinners = configSchema.parse({}).compressionThreads;
    await writer.phase('spinners');
    log(`the writer beside ${spinners} spinning loops at tickdb's priority (the platform's share) ...`);
    await spin(spinners, c.ms, priority);
    await writer.phase('end');
    const compressStats = await writer.stop();
    const compressWriter = phaseOf(compressStats, 'tickdb');
    const compressAlone = phaseOf(compressStats, 'alone');
    const compressAloneAgain = phaseOf(compressStats, 'alone again');
    const compressZstd = phaseOf(compressStats, 'zstd -19 -T0 + sync');
    const compressSpinners = phaseOf(compressStats, 'spinners');
    const zst = dayPath(root, 'db', DAY, '.db.zst');
    const zstBytes = statSync(zst).size;
    log('the engine and the zstd CLI on the same file (scripts/bench-zstd.ts) ...');
    const engine = await benchZstd({ file: dayPath(root, 'backup', DAY), workDir: join(work, 'engine'), log });

    // 3. Decompression, tickdb's file, hash check included (scripts/bench-decompress.ts).
    log('tickdb decompress and zstd -d, alternated, with one writer through them (waits per phase) ...');
    const decompression = await benchDecompress({ work, root, day: DAY, zst, reps, writerRate: WRITER_RATE, prefix });

    const f: Figures = {
      bytes,
      priority:
        prefix.length > 0
          ? `the service unit's: ${prefix.join(' ')} (SCHED_IDLE, best-effort I/O 7), nice 10`
          : 'nice 10, set by tickdb itself (--service-priority: as the service unit runs the agent)',
      startup,
      rotation,
      compression: {
        tickdbMs: c.ms,
        tickdbCpuMs: c.cpuMs,
        maxRssMiB: c.maxRssMiB,
        rss: rssFlat(c.rssSamplesMiB),
        zstBytes,
        writer: compressWriter,
        writerAlone: compressAlone,
        writerAloneAgain: compressAloneAgain,
        writerZstd: compressZstd,
        writerSpinners: compressSpinners,
        spinners,
        zstdSyncMs,
        engine,
      },
      decompression,
    };
    if (values.json === true) process.stdout.write(`${JSON.stringify(f, null, 2)}\n`);
    else process.stdout.write(report(f));
    if (zstdOnly) return;
    await queryBench();
    await exportBench();
    await s3Bench();
  } finally {
    if (values.work === undefined) rmSync(work, { recursive: true, force: true });
  }
}

function rotationReport(bytes: number, r: NonNullable<Figures['rotation']>): string {
  return [
    `tickdb rotation benchmark: one day of ${(bytes / MiB).toFixed(1)} MiB`,
    'rotation (seal: checkpoint, integrity_check, stats, SHA-256; backup: copy + verify)',
    `  tickdb rotate                      ${r.tickdbMs.toFixed(0)} ms`,
    `  sqlite3 integrity_check + cp       ${r.baselineMs.toFixed(0)} ms (${r.integrityMs.toFixed(0)} + ${r.cpMs.toFixed(0)})`,
    `  ratio                              ${ratio(r.tickdbMs, r.baselineMs)}x  (target <= 1.5x: ${check(r.tickdbMs <= 1.5 * r.baselineMs)})`,
    ...writerLines(r.writer, r.writerAlone),
  ].join('\n');
}

function waits(w: WriterStats): string {
  return `${w.inserts} inserts, ${w.failures} failed, p99 ${w.p99Ms.toFixed(1)} ms, max ${w.maxMs.toFixed(1)} ms, ${w.over50Ms} over 50 ms`;
}

/** The writer's waits with tickdb running, and alone for as long (what the host does to it by itself). */
function writerLines(meanwhile: WriterStats, alone: WriterStats, aloneAgain?: WriterStats): string[] {
  return [
    `  writer meanwhile                   ${waits(meanwhile)} (target p99 < 50 ms: ${check(meanwhile.p99Ms < 50)}; max <= control's: ${check(meanwhile.maxMs <= alone.maxMs)})`,
    `  writer alone, as long (control)    ${waits(alone)}`,
    ...(aloneAgain === undefined
      ? []
      : [`  writer alone again, as long (A/A)  ${waits(aloneAgain)}`, `  ${maxSpread(meanwhile, alone, aloneAgain)}`]),
  ];
}

function report(f: Figures): string {
  const e = f.compression.engine;
  const d = f.decompression;
  const c = f.compression;
  const single = e.cli.compress.ms;
  const t0 = e.cli.compressT0.ms;
  const rss = c.rss;
  const lines = [
    `tickdb benchmark: one day of ${(f.bytes / MiB).toFixed(1)} MiB, ${availableParallelism()} cores, ${e.zstdVersion}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end`,
    `tickdb compress and decompress ran at ${f.priority}`,
    '',
    ...(f.startup === undefined ? [] : [formatStartup(f.startup), '']),
    ...(f.rotation === undefined ? [] : [rotationReport(f.bytes, f.rotation).split('\n').slice(1).join('\n'), '']),
    'compression (level 19; tickdb verification included)',
    `  tickdb compress                    ${c.tickdbMs.toFixed(0)} ms (CPU ${c.tickdbCpuMs.toFixed(0)} ms), ${(c.zstBytes / MiB).toFixed(2)} MiB, peak RSS ${c.maxRssMiB.toFixed(0)} MiB`,
    `  zstd -19 FILE                      ${single.toFixed(0)} ms, ${(e.cli.compressBytes / MiB).toFixed(2)} MiB`,
    `  zstd -19 -T0 FILE                  ${t0.toFixed(0)} ms, ${(e.cli.compressT0Bytes / MiB).toFixed(2)} MiB`,
    `  vs zstd -19                        ${ratio(c.tickdbMs, single)}x  (target <= 0.6x: ${check(c.tickdbMs <= 0.6 * single)})`,
    `  vs zstd -19 -T0                    ${ratio(c.tickdbMs, t0)}x  (target <= 1.0x: ${check(c.tickdbMs <= t0)})`,
    `  size vs zstd -19 -T0               ${(c.zstBytes / e.cli.compressT0Bytes).toFixed(4)}x  (target <= 1.01x: ${check(c.zstBytes <= 1.01 * e.cli.compressT0Bytes)})`,
    `  peak RSS                           ${c.maxRssMiB.toFixed(0)} MiB = ${((c.maxRssMiB * MiB) / 1e6).toFixed(0)} MB (target on a 1 GiB day <= 400 MB: ${f.bytes >= 1024 * MiB ? check(c.maxRssMiB * MiB <= 400e6) : 'run with --mb 1024'})`,
    rss === undefined
      ? '  RSS across the frames              too short a run to tell (under 4 s)'
      : `  RSS across the frames              highest ${rss.firstHalfMiB.toFixed(0)} MiB in the first half, ${rss.secondHalfMiB.toFixed(0)} MiB in the second (target flat, within 5%: ${check(rss.flat)})`,
    ...writerLines(c.writer, c.writerAlone, c.writerAloneAgain),
    `  writer beside zstd -19 -T0 + sync OUT, same priority (reference, ${(c.zstdSyncMs / 1000).toFixed(0)} s)  ${waits(c.writerZstd)}`,
    `  writer beside ${c.spinners} spinning sh loops, same priority (platform, ${(c.tickdbMs / 1000).toFixed(0)} s)  ${waits(c.writerSpinners)}`,
    '',
    ...formatDecompress(d, WRITER_RATE),
    '',
    'the engine alone (scripts/bench-zstd.ts, same file, same run):',
    formatBenchZstd(e),
    '',
  ];
  return lines.join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
