import { Command } from 'commander';
import { scanTiers } from '../layout/scan.js';
import { DayStore } from '../lifecycle/day-store.js';
import { releaseQuarantine } from '../lifecycle/release-quarantine.js';
import { catchUpCheckpoint } from '../store/audit.js';
import { readMetadata, requireMetadataFound } from '../store/metadata.js';
import { action, addCommonOptions, printJson, withTreeLock, type CliRuntime } from './context.js';
import { formatTable } from './format.js';
import { datasetArgument, dayArgument } from './restore.js';

export interface QuarantinedDay {
  key: string;
  dataset: string;
  day: string;
  path: string | null;
  reason: string;
  since: string | null;
  previousState: string | null;
}

function listCommand(runtime: CliRuntime): Command {
  const cmd = new Command('list')
    .exitOverride()
    .configureOutput({ writeOut: runtime.stdout, writeErr: runtime.stderr })
    .description('show the quarantined days: day, path, reason, since');
  addCommonOptions(cmd);
  cmd.action(
    action(runtime, 'quarantine list', async (ctx) => {
      const read = await readMetadata(ctx.dirs, ctx.now);
      // No metadata yet (a tree no run has touched) has nothing quarantined; an unusable file is an error.
      const metadata = !read.found && read.problem === undefined ? read.metadata : requireMetadataFound(read, ctx.dirs);
      const days: QuarantinedDay[] = Object.entries(metadata.days)
        .filter(([, r]) => r.state === 'quarantined')
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, r]) => ({
          key,
          dataset: r.dataset,
          day: r.day,
          path: r.quarantine?.path ?? null,
          reason: r.quarantine?.reason ?? 'no reason recorded',
          since: r.quarantine?.at ?? null,
          previousState: r.quarantine?.previousState ?? null,
        }));
      if (ctx.json) {
        printJson(ctx, days);
      } else if (days.length === 0) {
        ctx.out('no quarantined days\n');
      } else {
        ctx.out(
          `${formatTable(
            ['day', 'dataset', 'since', 'path', 'reason'],
            days.map((d) => [d.day, d.dataset, d.since ?? '-', d.path ?? '-', d.reason]),
          )}\n`,
        );
        ctx.out(
          `${days.length} quarantined day(s); release one with \`tickdb quarantine release DAY\` once its file checks out\n`,
        );
      }
      return 0;
    }),
  );
  return cmd;
}

const RELEASE_HELP = `
Release re-checks the day's one remaining file before giving the day back its state:
  - a .db must pass SQLite's integrity check and, if the day was sealed, hash to its recorded SHA-256
    (a day never sealed goes back to "live" and the next run seals it);
  - a .db.zst is decompressed (to a .tmp beside it, removed after) and checked the same way;
  - a day present more than once is refused, naming every copy, until only one remains;
  - the state given back is where that copy is: normally the state before the quarantine.
A file that still fails stays quarantined (exit 1) and the message says why.
To replace a bad file from its verified backup instead, use \`tickdb restore DAY --from backup\`.`;

function releaseCommand(runtime: CliRuntime): Command {
  const cmd = new Command('release')
    .exitOverride()
    .configureOutput({ writeOut: runtime.stdout, writeErr: runtime.stderr })
    .description(
      "re-check a quarantined day's one remaining file and, if it is good, give the day back its state (exit 1, still quarantined, when it is not)",
    )
    .argument('<day>', 'the day, YYYY-MM-DD')
    .option('--dataset <prefix>', 'dataset (file prefix); needed when several are configured')
    .addHelpText('after', RELEASE_HELP);
  addCommonOptions(cmd, { dryRun: true });
  cmd.action(
    action(runtime, 'quarantine release', async (ctx, dayText: string) => {
      const day = dayArgument(dayText);
      const dataset = datasetArgument(ctx, cmd.opts<{ dataset?: string }>().dataset);
      return withTreeLock(ctx, 'quarantine release', async () => {
        const metadata = requireMetadataFound(await readMetadata(ctx.dirs, ctx.now), ctx.dirs);
        // Audit lines a crash left beyond the checkpoint are real events: chain on after them.
        if (!ctx.dryRun) metadata.audit = await catchUpCheckpoint(ctx.dirs, metadata.audit);
        const scan = await scanTiers(
          ctx.dirs,
          ctx.config.datasets.map((d) => d.prefix),
        );
        const store = new DayStore(ctx.dirs, metadata, ctx.clock);
        const r = await releaseQuarantine(
          { config: ctx.config, dirs: ctx.dirs, store, scan, threads: ctx.config.compressionThreads },
          { dataset: dataset.prefix, day, dryRun: ctx.dryRun },
        );
        if (ctx.json) printJson(ctx, r);
        else
          ctx.out(
            `${r.dryRun ? 'would release (dry run, nothing changed)' : 'released'}: ${r.key} -> ${r.state} (was ${r.previousState} before the quarantine: ${r.reason})\n  ${r.path}: ${r.checked}\n`,
          );
        return 0;
      });
    }),
  );
  return cmd;
}

export function quarantineCommand(runtime: CliRuntime): Command {
  return new Command('quarantine')
    .description(
      'show and release quarantined days (damaged or duplicated files the agent leaves alone until an operator decides)',
    )
    .addCommand(listCommand(runtime))
    .addCommand(releaseCommand(runtime));
}
