/**
 * Benchmark of the compression engine against the zstd CLI, in one run on one file (DESIGN section 8):
 *
 *   npx tsc -p tsconfig.build.json && node dist/scripts/bench-zstd.js [--mb 200] [--file PATH] [--level 19]
 *     [--threads N] [--frame-mib 32] [--work DIR] [--json]
 *
 * Without --file it generates a tick database of about --mb MiB with better-sqlite3 (the default schema of
 * DESIGN section 6), in a child process so that its memory does not count in this process's peak RSS. It then
 * measures `zstd -LEVEL FILE` (single thread, what the older scripts run), `zstd -LEVEL -T0 FILE`, our
 * compressFile plus the verification (decompressFile with dst null, SHA-256 compared with the source), `zstd -d`
 * of our .zst (with and without an fsync of its output) and our decompressFile to a file (fsynced, hash checked),
 * and prints the figures and the ratios against the targets.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { compressFile, decompressFile, DEFAULT_FRAME_BYTES, effectiveThreads } from '../src/zstd/index.js';

export interface BenchZstdOptions {
  /** An existing file to compress; otherwise one of `mb` MiB is generated. */
  file?: string | undefined;
  mb?: number | undefined;
  level?: number | undefined;
  /** Default min(cores, 4), as compressionThreads. */
  threads?: number | undefined;
  frameBytes?: number | undefined;
  /** Where the outputs (and a generated file) go; a temp dir by default, removed afterwards. */
  workDir?: string | undefined;
  zstdPath?: string | undefined;
  log?: ((line: string) => void) | undefined;
}

export interface BenchZstdResult {
  file: string;
  bytes: number;
  cores: number;
  level: number;
  threads: number;
  /** Frames actually compressed at once (worker threads: threads capped at the core count). */
  concurrency: number;
  frameBytes: number;
  zstdVersion: string;
  cli: {
    compress: Timing;
    compressBytes: number;
    compressT0: Timing;
    compressT0Bytes: number;
    /** `zstd -d` of our .zst, output not fsynced; then the fsync of that output alone. */
    decompress: Timing;
    decompressFsyncMs: number;
  };
  ours: {
    compress: Timing;
    /** decompressFile(zst, null) and the hash comparison. */
    verify: Timing;
    /** compress + verify: what `tickdb compress` spends on a day. */
    compressVerifiedMs: number;
    zstBytes: number;
    frames: number;
    /** decompressFile to a file, fsync and hash check included. */
    decompress: Timing;
    /** decompressFile with dst null (hash only). */
    decompressHashOnly: Timing;
    maxRssMiB: number;
    maxRssBeforeMiB: number;
  };
  ratios: {
    compressVsCliSingle: number; // target <= 0.6
    compressVsCliT0: number; // target <= 1.1
    sizeVsCliT0: number; // target <= 1.01
    decompressVsCli: number; // target <= 1.0
    decompressVsCliFsynced: number;
  };
}

const MiB = 1024 * 1024;

/** Wall time and CPU time of one phase, with the 1-minute load average at its start (other work on the host). */
export interface Timing {
  ms: number;
  cpuMs: number;
  loadAvg: number;
}

/** CPU time (user + system) of this process's waited-for children, from /proc (Linux); 0 elsewhere. */
function childrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // cutime + cstime, in USER_HZ (100)
  } catch {
    return 0;
  }
}

function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function timeCli(zstd: string, args: string[]): Timing {
  const loadAvg = loadavg()[0] ?? 0;
  const c0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(zstd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${zstd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, cpuMs: childrenCpuMs() - c0, loadAvg };
}

async function timeOwn<T>(work: () => Promise<T>): Promise<[T, Timing]> {
  const loadAvg = loadavg()[0] ?? 0;
  const c0 = ownCpuMs();
  const t0 = performance.now();
  const value = await work();
  return [value, { ms: performance.now() - t0, cpuMs: ownCpuMs() - c0, loadAvg }];
}

async function fsyncPath(path: string): Promise<number> {
  const t0 = performance.now();
  const fh = await open(path, 'r+');
  await fh.sync();
  await fh.close();
  return performance.now() - t0;
}

function maxRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024; // KiB on Linux
}

/** Generates a tick database of about `mb` MiB (run in a child process by `benchZstd`). */
export async function generateTickDb(path: string, mb: number): Promise<void> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.exec(`CREATE TABLE ticks(ts INTEGER NOT NULL, symbol TEXT NOT NULL, bid REAL, ask REAL, bid_size INTEGER,
    ask_size INTEGER, last REAL, volume INTEGER); CREATE INDEX ticks_symbol_ts ON ticks(symbol, ts);`);
  const insert = db.prepare('INSERT INTO ticks VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const symbols = Array.from({ length: 60 }, (_, i) => `SYM${String.fromCharCode(65 + (i % 26))}${Math.floor(i / 26)}`);
  const price = symbols.map((_, i) => 20 + i * 7.5);
  const volume = symbols.map(() => 0);
  let seed = 12345;
  const rand = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  let ts = 1_735_689_600_000_000_000n;
  const batch = db.transaction((n: number) => {
    for (let k = 0; k < n; k++) {
      ts += BigInt(1 + Math.floor(rand() * 2_000_000));
      const s = Math.floor(rand() * symbols.length);
      const p = Math.max(0.01, (price[s] ?? 1) + (rand() - 0.5) * 0.04);
      price[s] = p;
      const bid = Math.round(p * 100) / 100;
      const ask = Math.round((bid + 0.01 * (1 + Math.floor(rand() * 3))) * 100) / 100;
      const traded = rand() < 0.3 ? 100 * (1 + Math.floor(rand() * 10)) : 0;
      volume[s] = (volume[s] ?? 0) + traded;
      insert.run(
        ts,
        symbols[s],
        bid,
        ask,
        100 * (1 + Math.floor(rand() * 20)),
        100 * (1 + Math.floor(rand() * 20)),
        traded > 0 ? (rand() < 0.5 ? bid : ask) : null,
        volume[s],
      );
    }
  });
  const target = mb * MiB;
  while (
    (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number) <
    target
  ) {
    batch(50_000);
  }
  db.pragma('journal_mode = DELETE');
  db.close();
}

export async function benchZstd(opts: BenchZstdOptions = {}): Promise<BenchZstdResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const zstd = opts.zstdPath ?? 'zstd';
  const level = opts.level ?? 19;
  const cores = availableParallelism();
  const threads = opts.threads ?? Math.min(cores, 4);
  const frameBytes = opts.frameBytes ?? DEFAULT_FRAME_BYTES;
  const ownWork = opts.workDir === undefined;
  const work = opts.workDir ?? (await mkdtemp(join(tmpdir(), 'bench-zstd-')));
  await mkdir(work, { recursive: true });
  try {
    let file = opts.file;
    if (file === undefined) {
      file = join(work, 'ticks.db');
      const mb = opts.mb ?? 200;
      log(`generating a ${mb} MiB tick database in ${file} ...`);
      const script = new URL(import.meta.url).pathname;
      const r = spawnSync(process.execPath, [script, '--generate', file, '--mb', String(mb)], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`generating the database failed (${r.status})`);
    }
    const bytes = (await stat(file)).size;
    const version = spawnSync(zstd, ['--version'], { encoding: 'utf8' }).stdout.trim();
    log(`${file}: ${(bytes / MiB).toFixed(1)} MiB; ${version}; cores ${cores}; level ${level}; threads ${threads}`);

    const cliSingle = join(work, 'cli-single.zst');
    log(`zstd -${level} (single thread) ...`);
    const cliCompress = timeCli(zstd, [`-${level}`, '-q', '-f', file, '-o', cliSingle]);
    const cliT0 = join(work, 'cli-t0.zst');
    log(`zstd -${level} -T0 ...`);
    const cliCompressT0 = timeCli(zstd, [`-${level}`, '-T0', '-q', '-f', file, '-o', cliT0]);
    const compressBytes = (await stat(cliSingle)).size;
    const compressT0Bytes = (await stat(cliT0)).size;
    await rm(cliSingle);
    await rm(cliT0);

    const maxRssBeforeMiB = maxRssMiB();
    const ours = join(work, 'ours.zst');
    log('tickdb compressFile + verification ...');
    const [c, compress] = await timeOwn(() => compressFile(file, ours, { level, threads, frameBytes }));
    const [, verify] = await timeOwn(async () => {
      const v = await decompressFile(ours, null, { threads });
      if (v.sha256 !== c.sourceSha256 || v.bytes !== c.sourceBytes)
        throw new Error('verification failed: hash mismatch');
    });

    log('zstd -d of our .zst ...');
    const cliOut = join(work, 'cli.out');
    const cliDecompress = timeCli(zstd, ['-d', '-q', '-f', ours, '-o', cliOut]);
    const decompressFsyncMs = await fsyncPath(cliOut);
    await rm(cliOut);
    log('tickdb decompressFile of our .zst ...');
    const ourOut = join(work, 'ours.out');
    const [, decompress] = await timeOwn(async () => {
      const d = await decompressFile(ours, ourOut, { threads, fsync: true });
      if (d.sha256 !== c.sourceSha256) throw new Error('decompression produced a different hash');
    });
    await rm(ourOut);
    const [, decompressHashOnly] = await timeOwn(() => decompressFile(ours, null, { threads }));
    await rm(ours);

    const compressVerifiedMs = compress.ms + verify.ms;
    return {
      file,
      bytes,
      cores,
      level,
      threads,
      concurrency: effectiveThreads(threads),
      frameBytes,
      zstdVersion: version,
      cli: {
        compress: cliCompress,
        compressBytes,
        compressT0: cliCompressT0,
        compressT0Bytes,
        decompress: cliDecompress,
        decompressFsyncMs,
      },
      ours: {
        compress,
        verify,
        compressVerifiedMs,
        zstBytes: c.zstBytes,
        frames: c.frames,
        decompress,
        decompressHashOnly,
        maxRssMiB: maxRssMiB(),
        maxRssBeforeMiB,
      },
      ratios: {
        compressVsCliSingle: compressVerifiedMs / cliCompress.ms,
        compressVsCliT0: compressVerifiedMs / cliCompressT0.ms,
        sizeVsCliT0: c.zstBytes / compressT0Bytes,
        decompressVsCli: decompress.ms / cliDecompress.ms,
        decompressVsCliFsynced: decompress.ms / (cliDecompress.ms + decompressFsyncMs),
      },
    };
  } finally {
    if (ownWork) await rm(work, { recursive: true, force: true });
  }
}

export function formatBenchZstd(r: BenchZstdResult): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const m = (b: number): string => `${(b / MiB).toFixed(2)} MiB`;
  const check = (value: number, target: number): string =>
    `${value.toFixed(3)}  (target <= ${target}: ${value <= target ? 'met' : 'NOT met'})`;
  const row = (name: string, t: Timing | number, size = ''): string[] =>
    typeof t === 'number' ? [name, s(t), '', '', size] : [name, s(t.ms), s(t.cpuMs), t.loadAvg.toFixed(2), size];
  const rows: string[][] = [
    ['', 'wall', 'cpu', 'load', 'size'],
    row(`zstd -${r.level}`, r.cli.compress, m(r.cli.compressBytes)),
    row(`zstd -${r.level} -T0`, r.cli.compressT0, m(r.cli.compressT0Bytes)),
    row('tickdb compress', r.ours.compress, m(r.ours.zstBytes)),
    row('tickdb verify (decompress, hash only)', r.ours.verify),
    row('tickdb compress + verify', r.ours.compressVerifiedMs),
    row('zstd -d (our .zst)', r.cli.decompress),
    row('zstd -d + fsync of its output', r.cli.decompress.ms + r.cli.decompressFsyncMs),
    row('tickdb decompress (fsync + hash)', r.ours.decompress),
    row('tickdb decompress (hash only)', r.ours.decompressHashOnly),
  ];
  const w = Math.max(...rows.map((x) => (x[0] ?? '').length));
  return [
    `file ${r.file}: ${m(r.bytes)}; ${r.zstdVersion}`,
    `cores ${r.cores}, threads ${r.threads}, concurrency ${r.concurrency}, frame ${m(r.frameBytes)}, ${r.ours.frames} frames`,
    '(cpu: user+system time of the zstd process or of this process; load: 1-min load average when the step began)',
    '',
    ...rows.map(
      ([a = '', b = '', c = '', d = '', e = '']) =>
        `${a.padEnd(w)}  ${b.padStart(9)}  ${c.padStart(9)}  ${d.padStart(5)}  ${e.padStart(10)}`,
    ),
    '',
    `peak RSS of this process: ${r.ours.maxRssMiB.toFixed(0)} MiB (before our compress: ${r.ours.maxRssBeforeMiB.toFixed(0)} MiB)`,
    `compress+verify / zstd -${r.level}:       ${check(r.ratios.compressVsCliSingle, 0.6)}`,
    `compress+verify / zstd -${r.level} -T0:   ${check(r.ratios.compressVsCliT0, 1.0)}`,
    `size / zstd -${r.level} -T0 size:         ${check(r.ratios.sizeVsCliT0, 1.01)}`,
    `decompress / zstd -d:              ${check(r.ratios.decompressVsCli, 0.8)}`,
    `decompress / (zstd -d + fsync):    ${check(r.ratios.decompressVsCliFsynced, 1.0)}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mb: { type: 'string' },
      file: { type: 'string' },
      level: { type: 'string' },
      threads: { type: 'string' },
      'frame-mib': { type: 'string' },
      work: { type: 'string' },
      json: { type: 'boolean' },
      generate: { type: 'string' },
    },
  });
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  if (values.generate !== undefined) {
    await generateTickDb(values.generate, num(values.mb) ?? 200);
    return;
  }
  const frameMib = num(values['frame-mib']);
  const result = await benchZstd({
    file: values.file === undefined ? undefined : resolve(values.file),
    mb: num(values.mb),
    level: num(values.level),
    threads: num(values.threads),
    frameBytes: frameMib === undefined ? undefined : frameMib * MiB,
    workDir: values.work,
  });
  process.stdout.write(values.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${formatBenchZstd(result)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
