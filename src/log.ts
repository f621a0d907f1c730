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

export function silentLogger(): Logger {
  return loadPino()({ level: 'silent' });
}
