import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { TickdbError, errnoOf, ioError } from '../errors.js';
import { isInsideTier, locateCompressedDay, type LocatedFile } from '../layout/locate-day.js';
import { fetchRemoteDay } from '../inspect/fetch-remote.js';
import { remoteOnlyRecord } from '../inspect/remote-day.js';
import { scanTiers } from '../layout/scan.js';
import { dayKey } from '../layout/tiers.js';
import { inspectDatabase } from '../sqlite/inspect-database.js';
import { tmpPathFor } from '../fs/atomic-write.js';
import { fsyncDir } from '../fs/fsync-dir.js';
import { readMetadata } from '../store/metadata.js';
import { decompressFile } from '../zstd/index.js';
import { action, addCommonOptions, printJson, usageError, type CliRuntime } from './context.js';
import { formatBytes } from '../format-bytes.js';
import { progressReporter, rateText } from './progress.js';
import { pathExists } from '../fs/path-exists.js';

export function decompressCommand(runtime: CliRuntime): Command {
  const cmd = new Command('decompress')
    .description(
      'restore a day (or a .db.zst file) for an investigation, verified against its recorded SHA-256; the stored copy stays',
    )
    .argument('<day-or-path>', 'YYYY-MM-DD, or the path of a .db.zst')
    .option('-o, --output <file>', 'where to write the database (default ./PREFIX_DAY.db; never inside a tier)')
    .option('--dataset <prefix>', 'dataset of DAY (default the first configured)')
    .option('--force', 'overwrite the output file if it exists')
    .option(
      '--sync',
      'flush the output to disk before it takes its name (default: left to the page cache, like `zstd -d`)',
    );
  addCommonOptions(cmd);
  cmd.action(
    action(runtime, 'decompress', async (ctx, arg: string) => {
      const opts = cmd.opts<{ output?: string; dataset?: string; force?: boolean; sync?: boolean }>();
      const sync = opts.sync === true;
      const dataset = opts.dataset ?? ctx.config.datasets[0]?.prefix ?? 'ticks';
      const scan = await scanTiers(
        ctx.dirs,
        ctx.config.datasets.map((d) => d.prefix),
      );
      const { metadata } = await readMetadata(ctx.dirs, ctx.now);
      // A day whose only copy is in the S3 archive (DESIGN 12) is downloaded next to the output, verified, and read.
      const remote = remoteOnlyRecord(scan, metadata, arg, dataset);
      const src: LocatedFile =
        remote !== undefined
          ? { path: remote.remote?.key ?? '', dataset: remote.dataset, day: remote.day }
          : locateCompressedDay(scan, arg, dataset);
      if (remote === undefined && !(await pathExists(src.path)))
        throw new TickdbError('NOT_FOUND', `${src.path} does not exist`, { path: src.path });
      const name =
        src.day !== undefined && src.dataset !== undefined
          ? `${src.dataset}_${src.day}.db`
          : basename(src.path).replace(/\.zst$/, '');
      const out = resolve(opts.output ?? name);
      if (isInsideTier(ctx.dirs, out))
        throw usageError(
          `output ${out} is inside a tier of ${ctx.dirs.root}`,
          'write the investigation copy elsewhere (-o)',
        );
      if (opts.force !== true && (await pathExists(out))) {
        throw new TickdbError('REFUSED', `${out} exists; not overwritten`, {
          path: out,
          hint: 'use --force or -o another file',
        });
      }
      const rec =
        src.dataset !== undefined && src.day !== undefined ? metadata.days[dayKey(src.dataset, src.day)] : undefined;
      const tmp = tmpPathFor(out);
      const progress = progressReporter(`decompress ${src.day ?? basename(src.path)}`);
      const started = Date.now();
      const fetched = remote === undefined ? undefined : `${tmp}.zst`;
      const source =
        remote?.remote === undefined
          ? src.path
          : `s3://${remote.remote.bucket}/${remote.remote.key} (version ${remote.remote.versionId})`;
      try {
        if (remote !== undefined && fetched !== undefined) {
          await fetchRemoteDay(ctx.config, remote, fetched);
          src.path = fetched;
        }
        const result = await decompressFile(src.path, tmp, {
          threads: ctx.config.compressionThreads,
          fsync: sync,
          onProgress: (p) => progress.update(rateText(p.bytesIn, p.totalBytes, started)),
        });
        progress.done();
        let verifiedBy: string;
        if (rec?.sha256 !== undefined) {
          if (result.sha256 !== rec.sha256) {
            throw new TickdbError(
              'CORRUPT',
              `${source} decompresses to SHA-256 ${result.sha256}, not the recorded ${rec.sha256}`,
              {
                path: src.path,
                hint: 'the stored copy is damaged: run `tickdb verify --deep` and restore the day from its backup if one exists',
              },
            );
          }
          verifiedBy = 'recorded SHA-256';
        } else {
          const ds = ctx.config.datasets.find((d) => d.prefix === (src.dataset ?? dataset));
          const check = await inspectDatabase({
            op: 'inspect',
            path: tmp,
            table: ds?.tableName ?? 'ticks',
            timestampColumn: ds?.timestampColumn ?? 'ts',
          });
          if (check.status !== 'ok') {
            throw new TickdbError(
              'CORRUPT',
              `${src.path} decompresses to a database that fails its checks: ${JSON.stringify(check)}`,
              { path: src.path },
            );
          }
          verifiedBy = 'SQLite integrity check (no hash recorded)';
        }
        // Not renamed over the old output (--force): ext4 then writes the new file's delayed allocations back at
        // once (auto_da_alloc), a burst that made a writer's fsync wait 140 ms on this VM; removed first, the new
        // file is written back at the kernel's pace, as `zstd -d -f`'s is (docs/performance.md, "Renamed over").
        if (opts.force === true) await removeOutput(out);
        await rename(tmp, out);
        if (sync) await fsyncDir(dirname(out));
        const doc = {
          source,
          output: out,
          day: src.day ?? null,
          bytes: result.bytes,
          sha256: result.sha256,
          frames: result.frames,
          verifiedBy,
          seconds: (Date.now() - started) / 1000,
        };
        if (ctx.json) printJson(ctx, doc);
        else ctx.out(`${out}: ${formatBytes(result.bytes)} from ${source}, verified by ${verifiedBy}\n`);
        return 0;
      } finally {
        progress.done();
        for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, ...(fetched ? [fetched] : [])])
          await unlink(f).catch(() => undefined);
      }
    }),
  );
  return cmd;
}

/** Removes the output that --force replaces (nothing there is fine). */
async function removeOutput(out: string): Promise<void> {
  await unlink(out).catch((err: unknown) => {
    if (errnoOf(err) !== 'ENOENT') throw ioError('replace', out, err, 'remove the file or choose another -o');
  });
}
