import type { Clock } from '../clock.js';
import type { Config, DatasetConfig, LegalHold } from '../config/schema.js';
import { TickdbError } from '../errors.js';
import type { TierDirs } from '../layout/tiers.js';
import type { Logger } from '../log.js';
import type { DayStore } from './day-store.js';

/** What executing a step needs; built once per run by runJobs. */
export interface ExecContext {
  config: Config;
  dirs: TierDirs;
  clock: Clock;
  logger: Logger;
  store: DayStore;
  /** Legal holds as of now: re-read from the config file before each purge. */
  currentHolds: () => readonly LegalHold[];
  signal?: AbortSignal | undefined;
  onProgress?: ((text: string) => void) | undefined;
}

export type StepStatus = 'done' | 'busy' | 'quarantined' | 'failed' | 'skipped' | 'planned' | 'not-started';

export interface StepOutcome {
  status: StepStatus;
  message: string;
}

export function datasetOf(ctx: ExecContext, prefix: string): DatasetConfig {
  const d = ctx.config.datasets.find((x) => x.prefix === prefix);
  if (d === undefined) throw new TickdbError('INTERNAL', `dataset ${prefix} is not configured`);
  return d;
}

export function done(message: string): StepOutcome {
  return { status: 'done', message };
}
