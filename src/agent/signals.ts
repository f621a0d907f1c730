/** What the agent listens on for signals (the process; an EventEmitter in tests). */
export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface SignalHandlers {
  /** First SIGTERM or SIGINT: stop gracefully. */
  stop: (signal: NodeJS.Signals) => void;
  /** A second SIGTERM or SIGINT while stopping: exit at once. */
  force: (signal: NodeJS.Signals) => void;
  /** SIGHUP: re-read the configuration. */
  reload: () => void;
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Installs the agent's signal handlers (graphile-worker's rule: the first SIGTERM/SIGINT stops gracefully, the
 * second exits at once) and returns the function that removes them. SIGHUP is not handled on Windows, which
 * has no such signal.
 */
export function installSignalHandlers(
  source: SignalSource,
  handlers: SignalHandlers,
  platform = process.platform,
): () => void {
  let stopping = false;
  const onStop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      handlers.force(signal);
      return;
    }
    stopping = true;
    handlers.stop(signal);
  };
  const onHup = (): void => handlers.reload();
  for (const s of STOP_SIGNALS) source.on(s, onStop);
  const hup = platform !== 'win32';
  if (hup) source.on('SIGHUP', onHup);
  return () => {
    for (const s of STOP_SIGNALS) source.off(s, onStop);
    if (hup) source.off('SIGHUP', onHup);
  };
}
