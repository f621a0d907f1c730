import { chmod, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TickdbError, ioError } from '../errors.js';
import { tmpPathFor } from '../fs/atomic-write.js';
import { mkdirDurable } from '../fs/mkdir-durable.js';
import { compressFile, decompressFile } from '../zstd/index.js';
import { faultPoint, faultWrite } from '../fault.js';
import { done, type ExecContext, type StepOutcome } from './exec-context.js';
import { completeMove } from './move-protocol.js';
import type { CompressStep } from './step-types.js';

/**
 * Compresses a sealed day (DESIGN 3): the source's recorded SHA-256 is checked while it is read, the `.tmp` is
 * fsynced and verified by decompressing it and comparing the SHA-256, then the move protocol takes over.
 * A day past archiveAfterDays is compressed straight into the archive tier.
 */
export async function compressDay(step: CompressStep, ctx: ExecContext): Promise<StepOutcome> {
  const rec = ctx.store.get(step.dataset, step.day);
  if (rec?.sha256 === undefined || rec.bytes === undefined) {
    return { status: 'skipped', message: `${step.dataset}/${step.day} is not sealed; not compressed` };
  }
  const tmp = tmpPathFor(step.dest);
  const threads = ctx.config.compressionThreads;
  const started = Date.now();
  try {
    await mkdirDurable(dirname(step.dest));
    const made = await compressFile(step.source, tmp, {
      level: step.level,
      threads,
      frameBytes: ctx.config.frameSizeMib * 1024 * 1024,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onProgress: (p) => ctx.onProgress?.(`compress ${step.day} ${p.bytesIn}/${p.totalBytes}`),
    });
    faultWrite('compress', tmp);
    if (made.sourceSha256 !== rec.sha256) {
      await ctx.store.quarantine(
        step.dataset,
        step.day,
        step.source,
        `sealed file changed since it was sealed: SHA-256 ${made.sourceSha256} != recorded ${rec.sha256}`,
      );
      await unlink(tmp).catch(() => undefined);
      return {
        status: 'quarantined',
        message: `${step.source} does not match its recorded SHA-256; quarantined, not compressed`,
      };
    }
    faultPoint('compress:after-tmp');
    const check = await decompressFile(tmp, null, { threads, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    if (check.sha256 !== rec.sha256 || check.bytes !== rec.bytes) {
      throw new TickdbError(
        'VERIFY',
        `${tmp} does not decompress to the sealed database (${check.sha256} != ${rec.sha256})`,
        {
          path: step.source,
          hint: 'the source was kept; this points at memory or disk trouble on the host',
        },
      );
    }
    await chmod(tmp, 0o444);
    const toArchive = step.dest.startsWith(ctx.dirs.archive);
    const at = ctx.clock.now().toISOString();
    await completeMove(
      {
        job: 'compress',
        dataset: step.dataset,
        day: step.day,
        source: step.source,
        tmp,
        dest: step.dest,
        intent: { zstSha256: made.zstSha256, zstBytes: made.zstBytes },
        final: {
          state: toArchive ? 'archived' : 'compressed',
          compressedAt: at,
          ...(toArchive ? { archivedAt: at } : {}),
        },
        event: {
          event: toArchive ? 'compressed-to-archive' : 'compressed',
          source: step.source,
          path: step.dest,
          sha256: rec.sha256,
          zstSha256: made.zstSha256,
          bytes: made.sourceBytes,
          zstBytes: made.zstBytes,
          level: step.level,
          frames: made.frames,
          threads: made.threads,
          ...(step.early !== undefined ? { reason: step.early } : {}),
        },
      },
      ctx,
    );
    const ratio = made.sourceBytes === 0 ? 0 : made.zstBytes / made.sourceBytes;
    return done(
      `compressed ${step.source} -> ${step.dest} (${(ratio * 100).toFixed(1)}%, ${((Date.now() - started) / 1000).toFixed(1)} s, ${made.frames} frames on ${made.threads} threads)`,
    );
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw ioError('compress', step.source, err);
  }
}
