import type { Clock } from '../clock.js';
import type { Config, DatasetConfig, LegalHold } from '../config/schema.js';
import { TickdbError } from '../errors.js';
import type { TierDirs } from '../layout/tiers.js';
import type { Logger } from '../log.js';
import type { ArchiveTarget } from '../archive-target/target.js';
import type { S3TargetConfig } from '../config/archive-target-schema.js';
import type { DayStore } from './day-store.js';

/** The S3 archive for one run, with what the run learnt of it (DESIGN 12). */
export interface RemoteArchive {
  target: ArchiveTarget;
  config: S3TargetConfig;
  /** Set once the server could not be reached: the run's other uploads wait (backlog) without trying again. */
  offline?: TickdbError | undefined;
  /** Set when the bucket check was refused (credentials, permission): every S3 step fails with it (exit 1). */
  refused?: TickdbError | undefined;
}

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
  /** With an S3 archive target (DESIGN 12). */
  remote?: RemoteArchive | undefined;
}

/**
 * `backlog`: an S3 upload that waits for the server (the day stays in its local tier); `deferred`: a purge that
 * waits for the object's retention date, already reported. Neither is a failure.
 */
export type StepStatus =
  | 'done'
  | 'busy'
  | 'backlog'
  | 'deferred'
  | 'quarantined'
  | 'failed'
  | 'skipped'
  | 'planned'
  | 'not-started';

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
