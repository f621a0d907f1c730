import { Command } from 'commander';
import { buildInventory, INVENTORY_COLUMNS, type InventoryEntry } from '../inspect/inventory.js';
import { scanTiers } from '../layout/scan.js';
import { readMetadata } from '../store/metadata.js';
import { action, addCommonOptions, printJson, type CliRuntime } from './context.js';
import { formatBytes } from '../format-bytes.js';
import { formatCsv, formatTable } from './format.js';

/** The S3 object's version, retention and legal hold, in a few words (blank for a local file). */
function lockText(e: InventoryEntry): string {
  if (e.versionId === null) return '';
  const until =
    e.retainUntil === null ? 'no retention' : `${e.lockMode ?? 'locked'} until ${e.retainUntil.slice(0, 10)}`;
  return `version ${e.versionId}, ${until}${e.legalHold === true ? ', legal hold' : ''}`;
}

export function inventoryCommand(runtime: CliRuntime): Command {
  const cmd = new Command('inventory')
    .description(
      'list every file of every tier and every object in the S3 archive: day, dataset, tier, path, size, SHA-256, state; S3 version, retention, legal hold (the compliance export)',
    )
    .option('--csv', 'print CSV (RFC 4180) instead of a table');
  addCommonOptions(cmd);
  cmd.action(
    action(runtime, 'inventory', async (ctx) => {
      const csv = cmd.opts<{ csv?: boolean }>().csv === true;
      const scan = await scanTiers(
        ctx.dirs,
        ctx.config.datasets.map((d) => d.prefix),
      );
      const { metadata, problem } = await readMetadata(ctx.dirs, ctx.now);
      if (problem !== undefined)
        ctx.logger.warn({ job: 'inventory', path: ctx.dirs.db }, `${problem}; states shown as unrecorded`);
      const entries = buildInventory(scan, metadata);
      if (ctx.json) {
        printJson(ctx, entries);
      } else if (csv) {
        ctx.out(
          `${formatCsv(
            INVENTORY_COLUMNS,
            entries.map((e) => INVENTORY_COLUMNS.map((c) => String(e[c] ?? ''))),
          )}\r\n`,
        );
      } else {
        ctx.out(
          `${formatTable(
            ['day', 'dataset', 'tier', 'kind', 'size', 'state', 'parquet', 'path', 'lock'],
            entries.map((e) => [
              e.day,
              e.dataset,
              e.tier,
              e.kind,
              formatBytes(e.bytes),
              e.state,
              e.exportedAt === null ? '-' : 'exported',
              e.path,
              lockText(e),
            ]),
          )}\n${entries.length} files and objects, ${formatBytes(entries.reduce((s, e) => s + e.bytes, 0))}\n`,
        );
      }
      for (const a of scan.anomalies) ctx.logger.warn({ job: 'inventory', path: a.path, day: a.day }, a.message);
      return 0;
    }),
  );
  return cmd;
}
