import type { Config, JobName } from '../config/schema.js';
import { tierDirs } from '../layout/tiers.js';
import type { ScheduleEntry } from './scheduler.js';

/** What the agent schedules: the four lifecycle jobs, the hourly status (metrics) slot and the restore drill. */
export type ScheduledJob = JobName;

/**
 * The agent's wake-ups from the config: each job's cron pattern (UTC); rotate wakes `graceMinutes` after its
 * slot (DESIGN 1: `0 0 * * *` + grace), since yesterday is sealed only once midnight + grace has passed.
 */
export function agentSchedules(
  config: Pick<Config, 'schedules' | 'graceMinutes'>,
): Record<ScheduledJob, ScheduleEntry> {
  const s = config.schedules;
  return {
    rotate: { pattern: s.rotate, delayMs: config.graceMinutes * 60_000 },
    compress: { pattern: s.compress },
    archive: { pattern: s.archive },
    purge: { pattern: s.purge },
    status: { pattern: s.status },
    drill: { pattern: s.drill },
    export: { pattern: s.export },
  };
}

type DirFields = Pick<Config, 'root' | 'archiveDir' | 'backupDir' | 'metricsFile'>;

/** Whether two configs put the tiers in different places (which a running agent, holding the lock, cannot follow). */
export function dirsChanged(a: DirFields, b: DirFields): boolean {
  const da = tierDirs(a);
  const db = tierDirs(b);
  return (
    da.root !== db.root || da.archive !== db.archive || da.backup !== db.backup || da.metricsFile !== db.metricsFile
  );
}

/** `next` with the tier locations of `current`. */
export function configWithDirsOf(next: Config, current: DirFields): Config {
  return {
    ...next,
    root: current.root,
    archiveDir: current.archiveDir,
    backupDir: current.backupDir,
    metricsFile: current.metricsFile,
  };
}
