import { Command } from 'commander';
import { recheckChangedDays, verifyTree, type VerifyReport } from '../inspect/verify-tree.js';
import { verifyRemote } from '../inspect/verify-remote.js';
import { DayStore } from '../lifecycle/day-store.js';
import { scanTiers } from '../layout/scan.js';
import { readLock, isLiveHolder } from '../store/lock.js';
import { loadMetadataForUpdate, readMetadata, requireMetadataFound } from '../store/metadata.js';
import type { DayState } from '../store/metadata-types.js';
import { settledView } from '../store/settled-view.js';
import { rebuildMetadata } from '../store/rebuild-metadata.js';
import { TickdbError } from '../errors.js';
import { faultPause } from '../fault.js';
import { recoverFromBucket } from '../lifecycle/recover-remote.js';
import { action, addCommonOptions, printJson, withTreeLock, type CliRuntime, type CommandContext } from './context.js';
import { formatBytes } from '../format-bytes.js';
import { formatTable } from './format.js';
import { progressReporter, rateText } from './progress.js';

function formatVerify(r: VerifyReport): string {
  const lines: string[] = [];
  if (r.problems.length > 0) {
    lines.push(
      formatTable(
        ['day', 'problem', 'path', 'expected', 'found'],
        r.problems.map((p) => [p.key || '-', p.kind, p.path, p.expected, p.found]),
      ),
    );
  }
  for (const n of r.notes) lines.push(`note: ${n.message}`);
  const audit = r.audit.ok
    ? `audit trail intact (${r.audit.lines} lines)`
    : `audit trail damaged (${r.audit.findings.length} finding(s))`;
  lines.push(
    `${r.ok ? 'OK' : 'FAILED'}: ${r.days} day(s) recorded, ${r.checkedFiles} file(s)${r.checkedObjects !== undefined ? ` and ${r.checkedObjects} S3 object(s)` : ''} checked (${formatBytes(r.checkedBytes)}${r.deep ? ', deep: decompressed and integrity-checked' : ''}), ${r.problems.length} problem(s); ${audit}`,
  );
  return `${lines.join('\n')}\n`;
}

async function runVerify(ctx: CommandContext, deep: boolean): Promise<number> {
  const holder = await readLock(ctx.dirs);
  const read = await readMetadata(ctx.dirs, ctx.now);
  const metadata = requireMetadataFound(read, ctx.dirs);
  const prefixes = ctx.config.datasets.map((d) => d.prefix);
  const scan = await scanTiers(ctx.dirs, prefixes);
  await faultPause('verify:after-read'); // tests: the agent moves days between the reads and the checks
  const progress = progressReporter(deep ? 'verify --deep' : 'verify');
  const started = Date.now();
  const onProgress = (label: string, done: number, total: number): void =>
    progress.update(`${label}  ${rateText(done, total, started)}`);
  const checks = { deep, threads: ctx.config.compressionThreads, datasets: ctx.config.datasets };
  const report = await verifyTree(ctx.dirs, metadata, scan, { ...checks, onProgress });
  await verifyRemote(ctx.config, ctx.dirs, metadata, report, { deep, threads: checks.threads, onProgress });
  await recheckChangedDays(ctx.dirs, metadata, report, checks, (keys) =>
    settledView(ctx.dirs, prefixes, ctx.now, keys),
  );
  progress.done();
  if (holder !== undefined && isLiveHolder(holder)) {
    report.notes.push({
      message: `pid ${holder.pid} (${holder.command}) was changing the tree during this check; re-run if a file is reported missing`,
    });
  }
  if (ctx.json) printJson(ctx, report);
  else ctx.out(formatVerify(report));
  return report.ok ? 0 : 1;
}

/** `verify --rebuild`: recreates the metadata from a scan, keeping what a usable previous document knows. */
async function runRebuild(ctx: CommandContext): Promise<number> {
  return withTreeLock(ctx, 'verify --rebuild', async () => {
    const read = ctx.dryRun ? await readMetadata(ctx.dirs, ctx.now) : await loadMetadataForUpdate(ctx.dirs, ctx.now);
    const keptAside = 'keptAside' in read ? read.keptAside : undefined;
    const scan = await scanTiers(
      ctx.dirs,
      ctx.config.datasets.map((d) => d.prefix),
    );
    const metadata = await rebuildMetadata(ctx.dirs, scan, read.found ? read.metadata : undefined, ctx.now);
    // With an S3 archive, the days only in the bucket come back from a listing (DESIGN 12); a bucket that cannot
    // be listed fails the rebuild before anything is written, since its days would be forgotten.
    const remote = await recoverFromBucket(ctx.config, metadata, ctx.now).catch((err: unknown) => {
      if (!(err instanceof TickdbError)) throw err;
      throw new TickdbError(
        err.code,
        `${err.message}; the S3 archive's days cannot be recovered, so the metadata was not rebuilt`,
        {
          path: err.path,
          hint: `${err.hint ?? 'check the server and the credentials'}; then run \`tickdb verify --rebuild\` again`,
        },
      );
    });
    if (!ctx.dryRun) {
      const store = new DayStore(ctx.dirs, metadata, ctx.clock);
      await store.save();
      await store.audit({
        event: 'metadata-rebuilt',
        reason: 'verify --rebuild',
        days: Object.keys(metadata.days).length,
        previous: read.found ? 'kept what still matches the disk' : (read.problem ?? 'missing'),
        ...(remote !== undefined
          ? { remote: { location: remote.location, recovered: remote.recovered, hashed: remote.hashed } }
          : {}),
        ...(keptAside !== undefined ? { keptAside } : {}),
      });
      await store.save();
    }
    const byState: Partial<Record<DayState, number>> = {};
    for (const rec of Object.values(metadata.days)) byState[rec.state] = (byState[rec.state] ?? 0) + 1;
    const summary = {
      rebuilt: !ctx.dryRun,
      dryRun: ctx.dryRun,
      days: Object.keys(metadata.days).length,
      byState,
      previous: read.found ? 'used' : (read.problem ?? 'missing'),
      keptAside: keptAside ?? null,
      auditLines: metadata.audit.count,
      anomalies: scan.anomalies.map((a) => a.message),
      remote: remote ?? null,
    };
    if (ctx.json) {
      printJson(ctx, summary);
    } else {
      if (read.problem !== undefined)
        ctx.out(
          `previous metadata unusable: ${read.problem}${keptAside !== undefined ? `; kept aside as ${keptAside}` : ''}\n`,
        );
      ctx.out(
        `${formatTable(
          ['state', 'days'],
          Object.entries(byState)
            .sort()
            .map(([s, n]) => [s, String(n)]),
        )}\n`,
      );
      for (const a of summary.anomalies) ctx.out(`note: ${a}\n`);
      if (remote !== undefined) {
        ctx.out(
          `S3 archive ${remote.location}: ${remote.versions} object version(s) listed, ${remote.recovered.length} day record(s) recovered` +
            `${remote.hashed.length > 0 ? ` (${remote.hashed.length} read back and hashed: no SHA-256 stored with the object)` : ''}, ${remote.kept} already recorded\n`,
        );
        for (const k of remote.skipped) ctx.out(`note: ${k.key} not recovered: ${k.reason}\n`);
      }
      ctx.out(
        `${ctx.dryRun ? 'would rebuild (dry run, nothing written)' : 'metadata rebuilt'}: ${summary.days} day(s) from the files on disk. ` +
          'A .db without a verified earlier record is recorded live and sealed again by the next run; a .db.zst is verified by the next run (adopted).\n',
      );
    }
    return 0;
  });
}

export function verifyCommand(runtime: CliRuntime): Command {
  const cmd = new Command('verify')
    .description(
      'check every file against the metadata (size and SHA-256 of each .db, .db.zst and backup), every S3 object (size, ETag, retention, legal hold) and the audit chain; exit 1 listing each mismatch',
    )
    .option(
      '--deep',
      'also decompress every .db.zst (downloading those only in the S3 archive) and compare with the sealed SHA-256, and run integrity checks on sealed databases',
    )
    .option(
      '--rebuild',
      'rebuild rotation_metadata.json from the files on disk and, with an S3 archive target, the bucket (an unusable file is kept aside, never deleted); takes the tree lock',
    );
  addCommonOptions(cmd, { dryRun: true });
  cmd.action(
    action(runtime, 'verify', async (ctx) => {
      const opts = cmd.opts<{ deep?: boolean; rebuild?: boolean }>();
      return opts.rebuild === true ? runRebuild(ctx) : runVerify(ctx, opts.deep === true);
    }),
  );
  return cmd;
}
