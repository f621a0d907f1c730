import { TickdbError } from '../errors.js';
import { pathExists } from '../fs/path-exists.js';
import type { Day } from '../layout/day.js';
import { dayKey } from '../layout/tiers.js';
import { settledView } from '../store/settled-view.js';
import { planDays } from './plan-days.js';
import type { DaySource, Replan } from './query-types.js';

/**
 * Where a day is now, for a day whose planned file vanished before the query opened it: the agent compressed,
 * archived or uploaded it (its new file is in place before the old one is deleted: lifecycle/move-protocol.ts) or
 * purged it. The day is planned again, alone, from a settled view of the tree (store/settled-view.ts), with the
 * record as it is now: its new place, the hashes recorded for it, an S3 object. A day that has no readable copy
 * any more is an error naming it.
 */
export async function replannedSource(replan: Replan, day: Day): Promise<DaySource> {
  const key = dayKey(replan.prefix, day);
  const { scan, metadata } = await settledView(replan.dirs, replan.datasets, new Date(replan.now), [key]);
  const plan = planDays(scan, metadata, replan.prefix, [day]);
  const source = plan.sources[0];
  if (source !== undefined) return source;
  const failed = plan.failed[0];
  const now = failed?.message ?? plan.missing[0]?.note ?? 'it has no file';
  throw new TickdbError('IO', `its file was moved while the query ran, and now ${now}`, {
    path: failed?.path,
    hint: failed?.hint ?? 'run the query again, which reads the day where it is now',
  });
}

/** The day's local file is gone (an S3 source is never "gone" this way). */
export async function vanished(source: DaySource): Promise<boolean> {
  if (source.kind === 'compressed' && source.tier === 's3') return false;
  return fileGone(source.path);
}

/**
 * `path` is gone: "no such file". An error to stat it is not that, and says nothing here: the caller then keeps
 * the error it was looking into, rather than having it replaced by the stat's.
 */
export async function fileGone(path: string): Promise<boolean> {
  return !(await pathExists(path).catch(() => true));
}
