import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './cli.js';

/** Every file under `dir` with its size and SHA-256 (a snapshot to compare before and after a run). */
export function snapshot(dir: string, skip: (name: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!skip(e.name))
        out.set(p, `${statSync(p).size}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir);
  return out;
}

/** Digest of a day's rows, read by the real sqlite3 CLI (an independent checker). */
export function rowsDigest(dbPath: string, table = 'ticks'): { rows: number; digest: string } {
  const r = spawnSync('sqlite3', ['-readonly', dbPath, `SELECT * FROM ${table} ORDER BY ts, rowid;`], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`sqlite3 ${dbPath}: ${r.stderr}`);
  const lines = r.stdout === '' ? 0 : r.stdout.trimEnd().split('\n').length;
  return { rows: lines, digest: createHash('sha256').update(r.stdout).digest('hex') };
}

/** Decompresses with the real zstd CLI into `out`. */
export function zstdDecompress(src: string, out: string): void {
  const r = spawnSync('zstd', ['-d', '-q', '-f', src, '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`zstd -d ${src}: ${r.stderr}`);
}

export function zstdCompress(src: string, out: string, level = 3): void {
  const r = spawnSync('zstd', [`-${level}`, '-q', '-f', src, '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`zstd ${src}: ${r.stderr}`);
}

/**
 * A tree made as an operator would: `config` written to `dir/config.json`, `tickdb simulate --days N --rows R`, then
 * `run --once` (seal, compress, archive as `config` says), both at `now`; each must exit 0.
 */
export function simulatedTree(
  dir: string,
  config: Record<string, unknown>,
  opts: { days: number; rows: number; now: string },
): { root: string; configFile: string } {
  const root = join(dir, 'root');
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const common = ['--root', root, '--config', configFile, '--now', opts.now];
  const sim = runCli(['simulate', '--days', String(opts.days), '--rows', String(opts.rows), ...common]);
  if (sim.code !== 0) throw new Error(`simulate exited ${sim.code}: ${sim.stderr}`);
  const run = runCli(['run', '--once', ...common]);
  if (run.code !== 0) throw new Error(`run --once exited ${run.code}: ${run.stdout}${run.stderr}`);
  return { root, configFile };
}
