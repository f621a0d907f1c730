import { addDays, ageOf, dayOf } from '../../layout/day.js';
import { dayKey } from '../../layout/tiers.js';
import { uploadBacklog } from '../archive-backlog.js';
import { outcome, type CheckOutput, type CheckResult } from './check-result.js';
import type { StatusFacts } from './facts.js';

/**
 * The S3 archive's upload backlog (DESIGN 12): WARNING while a day past archiveAfterDays has waited a day or more
 * for the bucket (the oldest named), CRITICAL past `archiveTarget.backlogCritDays`. A day due since today's
 * midnight is not late: the nightly archive job uploads it. The audit trail's days go to the same bucket (DESIGN 12):
 * WARNING once the last day anchored there is two days or more behind yesterday (the nightly pass anchors each
 * finished day, so one day behind is the normal wait).
 */
export function checkArchive(f: Pick<StatusFacts, 'now' | 'config' | 'scan' | 'metadata'>): CheckOutput {
  const target = f.config.archiveTarget;
  if (target?.type !== 's3')
    return outcome('archive', [], 'no S3 archive target', [{ label: 'archive_backlog_days', value: 0, min: 0 }]);
  const backlog = uploadBacklog(f.scan, f.metadata.metadata, f.config, dayOf(f.now));
  const crit = target.backlogCritDays;
  const perf = [
    { label: 'archive_backlog_days', value: backlog.oldestWaitingDays, warn: '1', crit: String(crit), min: 0 },
  ];
  const late = backlog.days.filter((d) => d.waitingDays >= 1);
  const oldest = late[0];
  const problems: CheckResult[] = [];
  if (oldest !== undefined) {
    const key = dayKey(oldest.dataset, oldest.day);
    problems.push({
      name: 'archive',
      status: oldest.waitingDays > crit ? 'CRITICAL' : 'WARNING',
      dataset: oldest.dataset,
      day: oldest.day,
      path: oldest.path,
      brief: `S3 upload backlog ${late.length} day(s), oldest ${key}`,
      message: `${late.length} day(s) wait for the S3 archive s3://${target.bucket}; the oldest, ${key}, for ${oldest.waitingDays} day(s) (critical past ${crit})`,
      hint: 'check that the S3 endpoint answers and the credentials are accepted (the archive job logs why), then `tickdb archive`',
    });
  }
  const anchoredThrough = f.metadata.metadata.auditAnchor?.checkedThrough;
  const yesterday = addDays(dayOf(f.now), -1);
  const anchorLag = anchoredThrough === undefined ? 0 : ageOf(anchoredThrough, yesterday);
  if (anchorLag >= 2) {
    problems.push({
      name: 'archive',
      status: 'WARNING',
      brief: `audit trail anchored through ${anchoredThrough}`,
      message: `the audit trail is anchored in s3://${target.bucket} through ${anchoredThrough}: ${anchorLag} finished day(s) wait for the bucket`,
      hint: 'check that the S3 endpoint answers and the credentials may write under _audit/ (the archive job logs why); the next pass catches up',
    });
  }
  return outcome('archive', problems, `S3 archive s3://${target.bucket}: no day waiting`, perf);
}
