import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The zstd CLI, the independent checker. */
export const ZSTD = '/usr/bin/zstd';

export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tickdb-zstd-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Deterministic tick-like data (text rows with repeating symbols and slowly moving prices): compressible like a
 * real day, different at every offset.
 */
export function tickLikeData(bytes: number, seed = 1): Buffer {
  const symbols = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'TSLA', 'NVDA', 'META', 'ESZ5', 'NQZ5', 'EURUSD'];
  let state = seed >>> 0 || 1;
  const rand = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  let ts = 1_735_689_600_000_000_000n;
  let price = 100;
  while (at < bytes) {
    ts += BigInt(Math.floor(rand() * 5_000_000));
    price = Math.max(1, price + (rand() - 0.5) * 0.02);
    const sym = symbols[Math.floor(rand() * symbols.length)] ?? 'X';
    const row = `${ts},${sym},${price.toFixed(2)},${(price + 0.01).toFixed(2)},${Math.floor(rand() * 500)},${Math.floor(rand() * 500)}\n`;
    at += out.write(row, at);
  }
  return out;
}

export async function writeData(path: string, data: Uint8Array): Promise<void> {
  await writeFile(path, data);
}

/** Runs the zstd CLI; throws with its stderr on a non-zero exit. */
export function zstdCli(args: string[]): string {
  return execFileSync(ZSTD, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the zstd CLI and returns its exit status and combined output, never throwing. */
export function zstdCliStatus(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(ZSTD, args, { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
