import { uploadBacklog } from '../inspect/archive-backlog.js';
import { dayOf } from '../layout/day.js';
import { mkdir, readdir, statfs, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Config } from '../config/schema.js';
import { errnoOf, ioError } from '../errors.js';
import { scanTiers } from '../layout/scan.js';
import type { Tier, TierDirs } from '../layout/tiers.js';
import { LIFECYCLE_JOBS } from '../lifecycle/step-types.js';
import { atomicWrite } from '../fs/atomic-write.js';
import { readMetadata } from '../store/metadata.js';
import { emptyMetadata } from '../store/metadata-types.js';
import { collectExportMetrics } from './metrics-export.js';
import { collectOpsMetrics } from './metrics-ops.js';
import { renderMetrics, type MetricsSnapshot } from './metrics-render.js';

export interface MetricsSources {
  config: Config;
  dirs: TierDirs;
  now: Date;
  agent: MetricsSnapshot['agent'];
  /** Failed runs in a row per job, as the agent counted them; missing jobs fall back to the last outcome. */
  consecutiveFailures?: ReadonlyMap<string, number>;
}

const TIERS: readonly Tier[] = ['db', 'archive', 'backup'];

/** statfs of `path`, or of its nearest existing parent (a tier not created yet lives on its parent's disk). */
async function diskOf(path: string): Promise<{ freeBytes: number; sizeBytes: number } | undefined> {
  for (let p = path; ; p = dirname(p)) {
    try {
      const s = await statfs(p);
      return { freeBytes: s.bavail * s.bsize, sizeBytes: s.blocks * s.bsize };
    } catch (err) {
      const code = errnoOf(err);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(p) === p) return undefined;
    }
  }
}

function countBy<T>(items: Iterable<T>, keyOf: (x: T) => string | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of items) {
    const k = keyOf(x);
    if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Reads the tiers, the metadata and the disks into a metrics snapshot. Changes nothing. */
export async function collectMetrics(src: MetricsSources): Promise<MetricsSnapshot> {
  const datasets = src.config.datasets.map((d) => d.prefix);
  const scan = await scanTiers(src.dirs, datasets);
  // Unreadable metadata is reported (and fixed by the next job), not a reason to leave the metrics stale.
  const read = await readMetadata(src.dirs, src.now).catch(() => undefined);
  const ops = await collectOpsMetrics({
    ...src,
    scan,
    metadata: read ?? { metadata: emptyMetadata(src.now), found: false },
  });
  const metadata = read?.metadata ?? emptyMetadata(src.now);
  const totals = metadata.remoteTotals ?? { uploadedBytes: 0, uploadFailures: 0 };
  const backlog = uploadBacklog(scan, metadata, src.config, dayOf(src.now));
  const archive = { ...totals, backlogCount: backlog.days.length, backlogDays: backlog.oldestWaitingDays };
  const records = Object.values(metadata.days);
  const lake = collectExportMetrics(src.config, metadata);

  const tiers = datasets.flatMap((dataset) =>
    TIERS.map((tier) => {
      const files = scan.files.filter((f) => f.dataset === dataset && f.tier === tier);
      return { tier, dataset, files: files.length, bytes: files.reduce((s, f) => s + f.bytes, 0) };
    }),
  );
  const byState = countBy(records, (r) => `${r.dataset}\u0000${r.state}`);
  const days = [...byState].map(([k, count]) => {
    const [dataset = '', state = ''] = k.split('\u0000');
    return { dataset, state, count };
  });
  const quarantined = countBy(records, (r) => (r.state === 'quarantined' ? r.dataset : undefined));
  const busy = countBy(records, (r) => (r.busySince !== undefined && r.state === 'live' ? r.dataset : undefined));
  const compression = datasets.flatMap((dataset) => {
    const done = records.filter(
      (r) =>
        r.dataset === dataset &&
        (r.state === 'compressed' || r.state === 'archived') &&
        r.bytes !== undefined &&
        r.zstBytes !== undefined,
    );
    const bytes = done.reduce((s, r) => s + (r.bytes ?? 0), 0);
    const zst = done.reduce((s, r) => s + (r.zstBytes ?? 0), 0);
    return bytes > 0 ? [{ dataset, ratio: zst / bytes }] : [];
  });
  const jobs = LIFECYCLE_JOBS.map((job) => {
    const o = metadata.jobs[job];
    return {
      job,
      ...(o !== undefined ? { lastRunAt: new Date(o.finishedAt), lastRunOk: o.ok } : {}),
      ...(o?.lastSuccessAt !== undefined ? { lastSuccessAt: new Date(o.lastSuccessAt) } : {}),
      consecutiveFailures: src.consecutiveFailures?.get(job) ?? (o !== undefined && !o.ok ? 1 : 0),
    };
  });
  const disk: MetricsSnapshot['disk'] = [];
  for (const tier of TIERS) {
    const d = await diskOf(src.dirs[tier]);
    if (d !== undefined) disk.push({ tier, path: src.dirs[tier], ...d });
  }
  return {
    at: src.now,
    tiers,
    days,
    quarantinedDays: datasets.map((dataset) => ({ dataset, count: quarantined.get(dataset) ?? 0 })),
    busyDays: datasets.map((dataset) => ({ dataset, count: busy.get(dataset) ?? 0 })),
    compression,
    jobs,
    disk,
    auditLines: metadata.audit.count,
    metadataOk: read !== undefined && read.problem === undefined,
    agent: src.agent,
    ops,
    archive,
    ...(lake !== undefined ? { export: lake } : {}),
  };
}

/**
 * Writes the textfile atomically (node_exporter never reads a torn file), creating its directory. The temporary
 * file of a write cut short by a crash (`.tickdb.prom.PID.tmp`) is removed first: only the holder of the tree lock
 * writes this file, and the metrics directory is not a tier, so recovery does not look there.
 */
export async function writeMetricsFile(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true }).catch((err: unknown) => {
    throw ioError('create metrics directory', dir, err, 'set metricsFile to a writable path');
  });
  const prefix = `.${basename(path)}.`; // atomicWrite's temporary name: .NAME.PID.tmp (tmpPathFor)
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) await unlink(join(dir, name)).catch(() => undefined);
  }
  await atomicWrite(path, text);
}

/** Collects, renders and writes the metrics file (`dirs.metricsFile`). */
export async function updateMetricsFile(src: MetricsSources): Promise<void> {
  await writeMetricsFile(src.dirs.metricsFile, renderMetrics(await collectMetrics(src)));
}
