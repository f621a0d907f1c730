import { basename } from 'node:path';
import { watch } from 'chokidar';
import type { TierDirs } from '../layout/tiers.js';
import type { Logger } from '../log.js';

/** Files whose changes say nothing about the inventory: SQLite side files, temporary files, the agent's own state. */
const IGNORED_NAME =
  /(?:-wal|-shm|-journal|\.tmp|\.prom)$|^rotation_metadata\.json|^audit\.jsonl|^tickdb\.lock|^wal_samples\.json/;

export function isIgnoredByWatcher(path: string): boolean {
  return IGNORED_NAME.test(basename(path));
}

export interface TierWatcher {
  close(): Promise<void>;
}

export interface TierWatcherOptions {
  dirs: TierDirs;
  logger: Logger;
  /** Quiet time after the last change before `onChange` runs (a copy of many files is one refresh). */
  debounceMs?: number;
  onChange: () => void;
}

/**
 * Watches the tiers (db/, archive/, backup/; a tier that does not exist yet is picked up when it appears) so that
 * files an operator adds or removes by hand show in the metrics without a restart. It only refreshes the
 * inventory and metrics: jobs run at their cron slots and at catch-up, never because a file changed.
 */
export function watchTiers(options: TierWatcherOptions): TierWatcher {
  const { dirs, logger } = options;
  const debounceMs = options.debounceMs ?? 2000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const watcher = watch([dirs.db, dirs.archive, dirs.backup], {
    ignoreInitial: true,
    persistent: true,
    followSymlinks: false, // a link in a tier is reported by the scan, never followed (DESIGN 3)
    ignored: (path: string) => isIgnoredByWatcher(path),
  });
  watcher.on('all', (event, path) => {
    if (closed) return;
    logger.debug({ job: 'watch', path, event }, 'tier changed');
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!closed) options.onChange();
    }, debounceMs);
  });
  watcher.on('error', (err) =>
    logger.warn({ job: 'watch', err: err instanceof Error ? err.message : String(err) }, 'file watcher error'),
  );
  return {
    close: async () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      await watcher.close();
    },
  };
}
