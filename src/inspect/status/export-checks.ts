import { dayKey } from '../../layout/tiers.js';
import { outcome, type CheckOutput, type CheckResult } from './check-result.js';
import type { StatusFacts } from './facts.js';

const RECENT_MS = 7 * 86_400_000;
const SEALED = new Set(['sealed', 'compressed', 'archived']);

/**
 * Check 12: the research lake (DESIGN 15). The export state of the recorded days: exported, sealed and not yet
 * exported, purged without an export. The export never holds back a purge, so a day purged unexported is a
 * WARNING for a week after its purge (time to widen the export or the retention), then only counted.
 */
export function checkExport(f: Pick<StatusFacts, 'metadata' | 'config' | 'now'>): CheckOutput {
  const days = Object.values(f.metadata.metadata.days);
  const exported = days.filter((d) => d.parquet !== undefined).length;
  const pending = days.filter((d) => d.parquet === undefined && SEALED.has(d.state)).length;
  const lost = days.filter((d) => d.parquet === undefined && d.state === 'purged');
  const perf = [
    { label: 'exported_days', value: exported, min: 0 },
    { label: 'unexported_sealed_days', value: pending, min: 0 },
    { label: 'purged_unexported_days', value: lost.length, min: 0 },
  ];
  if (f.config.export === undefined && exported === 0)
    return outcome('export', [], 'no research lake configured (export.dir)', perf);
  const problems: CheckResult[] = [];
  if (f.config.export !== undefined) {
    for (const d of lost) {
      const at = d.purgedAt === undefined ? Number.NaN : Date.parse(d.purgedAt);
      if (!(f.now.getTime() - at <= RECENT_MS)) continue;
      const key = dayKey(d.dataset, d.day);
      problems.push({
        name: 'export',
        status: 'WARNING',
        dataset: d.dataset,
        day: d.day,
        brief: `${key} purged unexported`,
        message: `${key} was purged at ${d.purgedAt ?? '?'} without a Parquet export; the lake will not have it`,
        hint: 'export days before purgeAfterDays (`tickdb export --from DAY --to DAY`, or export.afterDays for the agent)',
      });
    }
  }
  const older = lost.length - problems.length;
  return outcome(
    'export',
    problems,
    `${exported} day(s) exported, ${pending} sealed day(s) not yet${older > 0 ? `, ${older} purged unexported earlier` : ''}`,
    perf,
  );
}
