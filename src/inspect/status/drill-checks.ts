import { formatDuration, outcome, type CheckOutput } from './check-result.js';
import type { Metadata } from '../../store/metadata-types.js';
import type { StatusFacts } from './facts.js';

/** No successful drill for this long is WARNING (issue 21). */
export const DRILL_STALE_MS = 14 * 86_400_000;
const DRILL_HINT =
  'run `tickdb drill` (one day per tier) or `tickdb drill DAY` (every copy of a day); the agent drills at schedules.drill';

/**
 * How long the tree has gone without a successful drill: from the last success, or, on a tree never drilled, from
 * the first day tickdb sealed (a new install is not warned before it has had two weeks). Undefined when nothing has
 * been sealed. Shared by the status check and the `tickdb_drill_stale` metric, so that the two agree.
 */
export function drillStaleness(
  metadata: Pick<Metadata, 'jobs' | 'days'>,
  now: Date,
): { last: string | undefined; sealedAt: string | undefined; ageMs: number; stale: boolean } | undefined {
  const last = metadata.jobs.drill?.lastSuccessAt;
  const sealedAt = Object.values(metadata.days)
    .map((r) => r.sealedAt)
    .filter((s): s is string => s !== undefined && !Number.isNaN(Date.parse(s)))
    .sort()[0];
  const since = last ?? sealedAt;
  if (since === undefined) return undefined;
  const ageMs = now.getTime() - Date.parse(since);
  return { last, sealedAt, ageMs, stale: ageMs > DRILL_STALE_MS };
}

/**
 * Check 13: restore drills (metadata.jobs.drill). CRITICAL when the last drill failed (a copy did not restore, or
 * could not be checked). WARNING when none has succeeded for 14 days, counted from the last success, or, on a tree
 * never drilled, from the first day tickdb sealed: a new install is not warned before it has had two weeks.
 */
export function checkDrill(f: Pick<StatusFacts, 'now' | 'metadata'>): CheckOutput {
  const { jobs } = f.metadata.metadata;
  const drill = jobs.drill;
  if (drill !== undefined && !drill.ok) {
    const errors =
      drill.errors.length === 0
        ? 'no error recorded'
        : `${drill.errors.slice(0, 3).join('; ')}${drill.errors.length > 3 ? `; and ${drill.errors.length - 3} more` : ''}`;
    return outcome(
      'drill',
      [
        {
          name: 'drill',
          status: 'CRITICAL',
          brief: 'last drill failed',
          message: `the last restore drill (finished ${drill.finishedAt}) failed: ${errors}`,
          hint: 'a copy that failed quarantined its day (see the quarantine check); one that could not be checked needs room in $TMPDIR or a readable tier; then `tickdb drill DAY` again (docs/operations.md, TickdbDrillFailed)',
        },
      ],
      '',
    );
  }
  const staleness = drillStaleness(f.metadata.metadata, f.now);
  if (staleness === undefined) return outcome('drill', [], 'no restore drill yet (no sealed day to drill)');
  const { last, sealedAt, ageMs } = staleness;
  const perf =
    last === undefined
      ? []
      : [
          {
            label: 'drill_age',
            value: Math.max(0, Math.round(ageMs / 1000)),
            uom: 's' as const,
            warn: String(DRILL_STALE_MS / 1000),
            min: 0,
          },
        ];
  if (staleness.stale) {
    return outcome(
      'drill',
      [
        {
          name: 'drill',
          status: 'WARNING',
          brief: last === undefined ? 'never drilled' : `last drill ${formatDuration(ageMs)} ago`,
          message:
            last === undefined
              ? `no restore drill has ever succeeded, and days have been sealed since ${sealedAt ?? '?'} (${formatDuration(ageMs)})`
              : `no restore drill has succeeded for ${formatDuration(ageMs)} (last success ${last}), more than 14 days`,
          hint: DRILL_HINT,
        },
      ],
      '',
      perf,
    );
  }
  if (last === undefined)
    return outcome('drill', [], `no restore drill yet; the first sealed day is ${formatDuration(ageMs)} old`);
  const counts = drill?.counts ?? {};
  return outcome(
    'drill',
    [],
    `last restore drill succeeded ${formatDuration(ageMs)} ago (${last}; ${counts.copies ?? 0} copies of ${counts.days ?? 0} days)`,
    perf,
  );
}
