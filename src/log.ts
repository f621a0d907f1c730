import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines on stderr (journald and the Windows wrapper keep them); results go to stdout. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    { level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: 2, sync: true }),
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
