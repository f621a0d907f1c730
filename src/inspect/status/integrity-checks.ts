import { auditPath, dayKey } from '../../layout/tiers.js';
import { outcome, type CheckOutput, type CheckResult } from './check-result.js';
import type { StatusFacts } from './facts.js';

/** Check 7: quarantined days (DESIGN 3): data that needs an operator. CRITICAL, one result per day. */
export function checkQuarantine(f: Pick<StatusFacts, 'metadata'>): CheckOutput {
  const problems: CheckResult[] = [];
  for (const rec of Object.values(f.metadata.metadata.days)) {
    if (rec.state !== 'quarantined') continue;
    const key = dayKey(rec.dataset, rec.day);
    const q = rec.quarantine;
    problems.push({
      name: 'quarantine',
      status: 'CRITICAL',
      dataset: rec.dataset,
      day: rec.day,
      brief: `${key} quarantined`,
      ...(q === undefined ? {} : { path: q.path }),
      message: `${key} is quarantined${q === undefined ? '' : ` since ${q.at}: ${q.reason} (${q.path})`}; no job touches it until it is released`,
      hint: `\`tickdb quarantine list\` shows it; inspect the file (\`tickdb analyze PATH\`), repair or replace it${rec.backupSha256 === undefined ? '' : ` (\`tickdb restore ${rec.day} --from backup\`)`}, then \`tickdb quarantine release ${rec.day}\``,
    });
  }
  problems.sort((a, b) => ((a.day ?? '') < (b.day ?? '') ? -1 : 1));
  return outcome('quarantine', problems, 'no quarantined day', [
    { label: 'quarantined', value: problems.length, warn: '', crit: '0', min: 0 },
  ]);
}

/**
 * Check 11: the audit trail's hash chain, and its end against the checkpoint kept in metadata
 * (verifyAudit). Any broken link is CRITICAL: an edited, removed, reordered or truncated line.
 */
export function checkAudit(f: Pick<StatusFacts, 'audit' | 'dirs' | 'lock'>): CheckOutput {
  const path = auditPath(f.dirs);
  if ('error' in f.audit) {
    return {
      results: [
        {
          name: 'audit',
          status: 'UNKNOWN',
          path,
          brief: 'unreadable',
          message: `cannot read the audit trail: ${f.audit.error}`,
          hint: 'check the permissions of db/audit.jsonl',
        },
      ],
    };
  }
  const v = f.audit;
  if (!v.ok) {
    const first = v.problems[0];
    const more =
      v.problems.length > 1 ? `; and ${v.problems.length - 1} more problem${v.problems.length > 2 ? 's' : ''}` : '';
    return outcome(
      'audit',
      [
        {
          name: 'audit',
          status: 'CRITICAL',
          path,
          brief: first === undefined ? 'broken' : `tampered at line ${first.line}`,
          message: `audit trail tampered or broken: ${first === undefined ? '' : `line ${first.line}: ${first.problem}`}${more} (${path})`,
          hint: '`tickdb audit verify` lists every problem; compare db/audit.jsonl with its backups and find out who changed it',
        },
      ],
      '',
    );
  }
  // Lines past the checkpoint are a run in flight, or one that stopped between the append and the metadata write.
  const beyond =
    v.beyondCheckpoint > 0
      ? `; ${v.beyondCheckpoint} line${v.beyondCheckpoint === 1 ? '' : 's'} after the metadata checkpoint${f.lock?.live === true ? ' (a run in progress)' : ''}`
      : '';
  return outcome('audit', [], `audit trail intact: ${v.lines} line${v.lines === 1 ? '' : 's'}${beyond}`);
}
