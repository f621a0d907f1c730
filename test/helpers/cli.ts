import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { expect } from 'vitest';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const BIN = join(REPO, 'bin', 'tickdb.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for a spawned CLI: no inherited TICKDB_* or legacy variables unless the test sets them. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      k.startsWith('TICKDB_') ||
      ['DAYS_BEFORE_COMPRESS', 'COMPRESSION_LEVEL', 'RETENTION_DAYS', 'DRY_RUN'].includes(k)
    )
      continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** Runs the real CLI (the compiled one, as a user would) and waits for it. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string } = {},
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: cleanEnv(options.env),
    encoding: 'utf8',
    input: options.input ?? '',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Asserts that a CLI run exited with `code` (0 unless given); a failure shows the run's stderr and stdout. */
export function expectExit(r: CliResult, code = 0): CliResult {
  const out = `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(0, 2000)}`;
  expect(r.code, out).toBe(code);
  return r;
}

/** Runs the CLI without blocking the test (for daemons, crash tests). */
export function spawnCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = 'tickdb-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function parseJson<T>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`stdout is not one JSON document:\n${text.slice(0, 2000)}`);
  }
}

/** What a spawned command prints, as it comes (`stdout()`, `stderr()`), and all of it once its streams closed. */
export function outputOf(child: ChildProcess & { stdout: Readable; stderr: Readable }): {
  stdout: () => string;
  stderr: () => string;
  closed: Promise<CliResult>;
} {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const closed = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { stdout: () => stdout, stderr: () => stderr, closed };
}

/** runCli without blocking the test's event loop (for a server in the test's own process, e.g. a fault proxy). */
export function runCliAsync(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  return outputOf(spawnCli(args, options)).closed;
}
