import { spawn } from 'node:child_process';
import { BIN, REPO, cleanEnv, outputOf, type CliResult } from './cli.js';
import { runnableClock } from './runnable-time.js';
import { until } from './writer.js';

/**
 * Runs the CLI with a test pause (`TICKDB_FAULT=<point>`, src/fault.ts `faultPause`): waits until the command says
 * it is paused, runs `meanwhile` (e.g. the agent moving days), then ends the command's stdin so that it goes on, and
 * returns what it printed. The command is let go even when the wait or `meanwhile` throws, so nothing stays paused.
 */
export async function runCliPausedAt<T>(
  point: string,
  args: string[],
  env: Record<string, string>,
  meanwhile: () => T,
): Promise<{ result: CliResult; meanwhile: T }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: cleanEnv({ ...env, TICKDB_FAULT: point }),
    stdio: 'pipe',
  });
  const { stderr, closed } = outputOf(child);
  let done: T;
  try {
    await until(
      () => stderr().includes('paused until stdin ends') || child.exitCode !== null,
      `tickdb ${args[0] ?? ''} paused at ${point}`,
      60_000,
      runnableClock(child.pid ?? 0),
    );
    done = meanwhile();
  } finally {
    child.stdin.end();
  }
  return { result: await closed, meanwhile: done };
}
