import { createRequire } from 'node:module';
import type { Logger } from 'pino';

export type { Logger };

type Pino = typeof import('pino');

/**
 * pino, loaded on first use: a command that logs nothing (`status`, `decompress` at the default level) does not
 * pay for loading it. `require` because a logger is created synchronously; pino is a CommonJS package.
 */
function loadPino(): Pino {
  return createRequire(import.meta.url)('pino') as Pino;
}

/** JSON lines on stderr (journald and the Windows wrapper keep them); results go to stdout. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  const pino = loadPino();
  return pino(
    { level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** pino's levels, most severe first, then `silent` (writes nothing): the config's and `--log-level`'s choices. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Whether a logger at `level` writes a message at `at`, answered without loading pino: a command that has one
 * message at a level rarely enabled (`tickdb query`'s per-day report at debug) does not load the logger for it.
 */
export function logs(level: string, at: string): boolean {
  const levels: readonly string[] = LOG_LEVELS;
  const threshold = levels.indexOf(level);
  const severity = levels.indexOf(at);
  return level !== 'silent' && threshold >= 0 && severity >= 0 && severity <= threshold;
}

export function silentLogger(): Logger {
  return loadPino()({ level: 'silent' });
}
