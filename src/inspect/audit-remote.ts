import { openS3Target } from '../archive-target/open-target.js';
import { readBackText } from '../archive-target/read-back.js';
import type { ArchiveTarget } from '../archive-target/target.js';
import type { Config } from '../config/schema.js';
import { TickdbError } from '../errors.js';
import type { TierDirs } from '../layout/tiers.js';
import { readAuditText } from '../store/audit.js';
import { parseAnchor, trailLines } from '../store/audit-anchor.js';

/** One way the local trail and the copies anchored in the bucket disagree. */
export interface RemoteAuditFinding {
  /** 1-based line of the local trail (0 when the line is not there at all). */
  line: number;
  seq: number;
  kind: 'differs' | 'missing' | 'anchor-damaged';
  message: string;
}

export interface RemoteAuditReport {
  ok: boolean;
  /** `s3://bucket/PREFIX_audit/`. */
  location: string;
  /** Object versions read (a day written again after a clock jump has two). */
  anchors: number;
  firstDay: string | null;
  lastDay: string | null;
  /** The highest seq anchored, and how many local lines come after it (not anchored yet: today's, or a backlog). */
  anchoredSeq: number;
  notYetAnchored: number;
  /** The first line of the local trail that differs from the bucket's copy: what an auditor looks at first. */
  firstDifference: RemoteAuditFinding | null;
  findings: RemoteAuditFinding[];
}

/**
 * `audit verify --remote` (DESIGN 12): every version of every `_audit/YYYY-MM-DD.jsonl` in the bucket is read;
 * each must hold together (its lines chain, its head is the hash of its last line), and each of its lines must be
 * in the local trail byte for byte at the same seq. A trail rewritten on the host (even with every hash recomputed
 * and the metadata's checkpoint moved) differs from the anchored copies from the first rewritten line on.
 */
export async function checkRemoteAudit(dirs: TierDirs, target: ArchiveTarget): Promise<RemoteAuditReport> {
  const text = await readAuditText(dirs);
  const local = new Map<number, { n: number; raw: string }>();
  for (const l of trailLines(text)) if (!local.has(l.line.seq)) local.set(l.line.seq, { n: l.n, raw: l.raw });
  const prefix = `${target.prefix}_audit/`;
  const versions = (await target.list(prefix)).filter((v) => /\/?_audit\/\d{4}-\d{2}-\d{2}\.jsonl$/.test(v.key));
  const findings: RemoteAuditFinding[] = [];
  const days: string[] = [];
  let anchoredSeq = 0;
  for (const v of versions) {
    const where = `s3://${target.bucket}/${v.key} (version ${v.versionId})`;
    const anchor = parseAnchor(await readBackText(target, v.key, v.versionId));
    days.push(v.key.slice(-16, -6));
    if (anchor.problem !== undefined)
      findings.push({
        line: 0,
        seq: anchor.head?.seq ?? 0,
        kind: 'anchor-damaged',
        message: `${where} does not hold together: ${anchor.problem}`,
      });
    for (const a of anchor.lines) {
      anchoredSeq = Math.max(anchoredSeq, a.seq);
      const mine = local.get(a.seq);
      if (mine === undefined)
        findings.push({
          line: 0,
          seq: a.seq,
          kind: 'missing',
          message: `seq ${a.seq}, anchored in ${where}, is not in the local trail (removed or truncated)`,
        });
      else if (mine.raw !== a.raw)
        findings.push({
          line: mine.n,
          seq: a.seq,
          kind: 'differs',
          message: `line ${mine.n} (seq ${a.seq}) differs from the copy anchored in ${where}: rewritten on this host`,
        });
    }
  }
  findings.sort((a, b) => a.seq - b.seq || a.line - b.line);
  const sorted = [...new Set(days)].sort();
  const notYetAnchored = [...local.keys()].filter((s) => s > anchoredSeq).length;
  return {
    ok: findings.length === 0,
    location: `s3://${target.bucket}/${prefix}`,
    anchors: versions.length,
    firstDay: sorted[0] ?? null,
    lastDay: sorted[sorted.length - 1] ?? null,
    anchoredSeq,
    notYetAnchored,
    firstDifference: findings.find((f) => f.kind !== 'anchor-damaged') ?? findings[0] ?? null,
    findings,
  };
}

/** Opens the configured S3 archive and checks the trail against it; without an S3 target, a usage error (exit 2). */
export async function verifyAuditRemote(config: Config, dirs: TierDirs): Promise<RemoteAuditReport> {
  const c = config.archiveTarget;
  if (c?.type !== 's3')
    throw new TickdbError('CONFIG', 'audit verify --remote needs an S3 archive target (archiveTarget.type "s3")', {
      path: 'archiveTarget',
      hint: 'the audit trail is anchored in the bucket of the S3 archive (DESIGN 12); without one there is nothing to compare with',
    });
  const target = await openS3Target(c);
  try {
    return await checkRemoteAudit(dirs, target);
  } finally {
    target.close();
  }
}
