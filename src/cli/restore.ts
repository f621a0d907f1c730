import { Command, Option } from 'commander';
import type { DatasetConfig } from '../config/schema.js';
import { parseDay, type Day } from '../layout/day.js';
import { scanTiers } from '../layout/scan.js';
import { DayStore } from '../lifecycle/day-store.js';
import { restoreDay } from '../lifecycle/restore-day.js';
import { archivedDatabase } from '../inspect/archived-day.js';
import { scratchDir } from '../inspect/scratch-dir.js';
import { rm } from 'node:fs/promises';
import { catchUpCheckpoint } from '../store/audit.js';
import { readMetadata, requireMetadataFound } from '../store/metadata.js';
import {
  action,
  addCommonOptions,
  printJson,
  usageError,
  withTreeLock,
  type CliRuntime,
  type CommandContext,
} from './context.js';

/** A DAY argument (`YYYY-MM-DD`), or a usage error (exit 2). */
export function dayArgument(text: string): Day {
  const day = parseDay(text);
  if (day === undefined) throw usageError(`day ${JSON.stringify(text)} is not a valid YYYY-MM-DD date`);
  return day;
}

/** `--dataset P`, required when more than one dataset is configured (a day of the wrong dataset is no small mistake). */
export function datasetArgument(ctx: CommandContext, prefix: string | undefined): DatasetConfig {
  const { datasets } = ctx.config;
  if (prefix === undefined) {
    const only = datasets.length === 1 ? datasets[0] : undefined;
    if (only === undefined)
      throw usageError(
        `several datasets are configured (${datasets.map((d) => d.prefix).join(', ')}): name one with --dataset`,
      );
    return only;
  }
  const found = datasets.find((d) => d.prefix === prefix);
  if (found === undefined)
    throw usageError(
      `--dataset ${JSON.stringify(prefix)} is not a configured dataset (${datasets.map((d) => d.prefix).join(', ')})`,
    );
  return found;
}

const HELP = `
Restore is for a day whose database was lost or damaged (deleted by hand, quarantined, found bad by verify):
  - the backup must pass SQLite's integrity check and hash to the day's recorded SHA-256, or nothing changes;
  - the day goes back to db/YYYY/MM/PREFIX_DAY.db, read-only (0444), recorded "sealed" and audited "restored";
    the next run compresses or archives it again as its age requires;
  - a quarantined day's files are replaced; a day that is not quarantined and still has a copy in a tier
    (.db, .db.zst or archived) is refused unless --force, since that copy may be good;
  - nothing is ever deleted: each replaced file is renamed NAME.replaced-STAMP beside itself;
  - today's and tomorrow's databases (the writer's) and days without a recorded SHA-256 are refused.
With --from archive the source is the day's archived .db.zst: the archive tier's file, or, for a day only in the
S3 archive, its recorded object version, downloaded and checked (size, SHA-256) as it streams; it is decompressed
into a temp folder outside the tiers and checked like a backup. The S3 object is left as it is (still recorded).
For a copy to investigate, without touching the tree, use \`tickdb decompress DAY\`.`;

export function restoreCommand(runtime: CliRuntime): Command {
  const cmd = new Command('restore')
    .description('put a day back into the db tier from its verified backup or archived copy (S3 archive included)')
    .argument('<day>', 'the day, YYYY-MM-DD')
    .addOption(
      new Option(
        '--from <source>',
        'where to restore from: the backup tier, or the archived .db.zst (archive/ or the S3 archive)',
      )
        .choices(['backup', 'archive'])
        .makeOptionMandatory(),
    )
    .option('--dataset <prefix>', 'dataset (file prefix); needed when several are configured')
    .option(
      '--force',
      'replace a copy that is still in a tier although the day is not quarantined (the copy is kept aside)',
    )
    .addHelpText('after', HELP);
  addCommonOptions(cmd, { dryRun: true });
  cmd.action(
    action(runtime, 'restore', async (ctx, dayText: string) => {
      const opts = cmd.opts<{ dataset?: string; force?: boolean; from: 'backup' | 'archive' }>();
      const day = dayArgument(dayText);
      const dataset = datasetArgument(ctx, opts.dataset);
      return withTreeLock(ctx, 'restore', async () => {
        const metadata = requireMetadataFound(await readMetadata(ctx.dirs, ctx.now), ctx.dirs);
        // Audit lines a crash left beyond the checkpoint are real events: chain on after them.
        if (!ctx.dryRun) metadata.audit = await catchUpCheckpoint(ctx.dirs, metadata.audit);
        const scan = await scanTiers(
          ctx.dirs,
          ctx.config.datasets.map((d) => d.prefix),
        );
        const store = new DayStore(ctx.dirs, metadata, ctx.clock);
        // --from archive: the archived .db.zst (downloaded from the S3 archive when only there), decompressed into
        // a private temp folder; restoreDay checks it like a backup before the tree changes.
        const scratch = opts.from === 'archive' ? await scratchDir(ctx.dirs, 'restore') : undefined;
        const r = await (async () => {
          try {
            const copy =
              scratch === undefined
                ? undefined
                : await archivedDatabase({
                    config: ctx.config,
                    scan,
                    metadata,
                    dataset: dataset.prefix,
                    day,
                    scratch,
                  });
            return await restoreDay(
              { config: ctx.config, dirs: ctx.dirs, clock: ctx.clock, now: ctx.now, store, scan },
              { dataset: dataset.prefix, day, force: opts.force === true, dryRun: ctx.dryRun, copy },
            );
          } finally {
            if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
          }
        })();
        if (ctx.json) {
          printJson(ctx, r);
        } else {
          const verb = r.unchanged
            ? 'nothing to do'
            : r.dryRun
              ? 'would restore (dry run, nothing changed)'
              : 'restored';
          ctx.out(
            `${verb}: ${r.key} ${r.copied ? `from ${r.from} to` : 'in place at'} ${r.path} (${r.rows} rows, sha256 ${r.sha256}; was ${r.previousState})\n`,
          );
          if (r.unchanged) ctx.out('the database in place already matches the recorded SHA-256\n');
          for (const k of r.keptAside) ctx.out(`kept aside: ${k.path} -> ${k.as}\n`);
          for (const w of r.warnings) ctx.out(`warning: ${w}\n`);
        }
        return 0;
      });
    }),
  );
  return cmd;
}
