// Small process helpers of `npm run package` (scripts/package.ts): run a program, fail loudly with its output.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Show the program's output as it runs (long builds), on stderr: stdout stays for results (the benchmark's JSON
   * builds a release tree too). By default the output is kept and shown only on failure.
   */
  stream?: boolean;
}

/** Runs `cmd args`, returns its stdout; throws with the command, its status and its stderr when it fails. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): string {
  const spawnOpts: SpawnSyncOptions = {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: opts.stream === true ? ['ignore', 2, 2] : ['ignore', 'pipe', 'pipe'],
  };
  const r = spawnSync(cmd, args, spawnOpts);
  if (r.error !== undefined) throw new Error(`package: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const stderr = typeof r.stderr === 'string' ? r.stderr.trim() : '';
    const stdout = typeof r.stdout === 'string' ? r.stdout.trim() : '';
    throw new Error(
      `package: ${cmd} ${args.join(' ')} failed (${r.signal ?? `exit ${r.status}`})\n${stderr}${stdout === '' ? '' : `\n${stdout}`}`,
    );
  }
  return typeof r.stdout === 'string' ? r.stdout : '';
}

/** Prints one step of the build with the seconds it took. */
export async function step<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
  const started = Date.now();
  process.stdout.write(`package: ${what} ...\n`);
  const result = await fn();
  process.stdout.write(`package: ${what}: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return result;
}
