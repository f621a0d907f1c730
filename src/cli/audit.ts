import { Command } from 'commander';
import { checkAuditTrail, type AuditReport } from '../inspect/audit-findings.js';
import type { RemoteAuditReport } from '../inspect/audit-remote.js';
import { readMetadata } from '../store/metadata.js';
import { action, addCommonOptions, printJson, type CliRuntime } from './context.js';
import { formatTable } from './format.js';

function formatAudit(r: AuditReport, notes: string[]): string {
  const lines: string[] = [];
  if (r.findings.length > 0)
    lines.push(
      formatTable(
        ['line', 'what', 'detail'],
        r.findings.map((f) => [String(f.line), f.kind, f.message]),
      ),
    );
  for (const n of notes) lines.push(`note: ${n}`);
  lines.push(
    r.ok
      ? `OK: ${r.path}: ${r.lines} line(s), chain intact${r.checkpoint !== null ? ', matches the metadata checkpoint' : ''}; last hash ${r.lastHash}`
      : `FAILED: ${r.path}: ${r.findings.length} problem(s) in ${r.lines} line(s)`,
  );
  return `${lines.join('\n')}\n`;
}

function formatRemote(r: RemoteAuditReport): string {
  const lines: string[] = [];
  const shown = r.findings.slice(0, 20);
  if (shown.length > 0)
    lines.push(
      formatTable(
        ['line', 'seq', 'what', 'detail'],
        shown.map((f) => [f.line === 0 ? '-' : String(f.line), String(f.seq), f.kind, f.message]),
      ),
    );
  if (r.findings.length > shown.length) lines.push(`... and ${r.findings.length - shown.length} more`);
  const span =
    r.firstDay === null ? 'no day anchored yet' : `days ${r.firstDay}..${r.lastDay}, up to seq ${r.anchoredSeq}`;
  lines.push(
    r.ok
      ? `OK: ${r.location}: ${r.anchors} anchored object version(s) (${span}) match the local trail; ${r.notYetAnchored} later line(s) not anchored yet`
      : `FAILED: ${r.location}: ${r.findings.length} anchored line(s) disagree with the local trail; the first: ${r.firstDifference?.message ?? ''}`,
  );
  return `${lines.join('\n')}\n`;
}

export function auditCommand(runtime: CliRuntime): Command {
  const cmd = new Command('audit').description('the hash-chained audit trail (db/audit.jsonl)');
  const verify = new Command('verify')
    .exitOverride()
    .configureOutput({ writeOut: runtime.stdout, writeErr: runtime.stderr })
    .description(
      'check the audit chain: exit 0 intact, 1 listing each problem (line, and whether edited, removed, reordered or truncated)',
    );
  verify.option(
    '--remote',
    'also compare the trail with the days anchored in the S3 archive (_audit/YYYY-MM-DD.jsonl); names the first line that differs',
  );
  addCommonOptions(verify);
  verify.action(
    action(runtime, 'audit verify', async (ctx) => {
      const read = await readMetadata(ctx.dirs, ctx.now);
      const report = await checkAuditTrail(ctx.dirs, read.found ? read.metadata.audit : undefined);
      const notes: string[] = [];
      if (!read.found)
        notes.push(
          `no usable metadata (${read.problem ?? 'missing'}): the end of the trail cannot be checked against its checkpoint, so a truncation there goes unseen`,
        );
      if (report.beyondCheckpoint > 0) {
        notes.push(
          `${report.beyondCheckpoint} line(s) after the metadata checkpoint: a crash between the audit append and the metadata write; not a failure (the next run records them)`,
        );
      }
      const remote =
        verify.opts<{ remote?: boolean }>().remote === true
          ? await (await import('../inspect/audit-remote.js')).verifyAuditRemote(ctx.config, ctx.dirs)
          : undefined;
      if (ctx.json) printJson(ctx, { ...report, notes, ...(remote !== undefined ? { remote } : {}) });
      else ctx.out(formatAudit(report, notes) + (remote !== undefined ? formatRemote(remote) : ''));
      return report.ok && remote?.ok !== false ? 0 : 1;
    }),
  );
  cmd.addCommand(verify);
  return cmd;
}
