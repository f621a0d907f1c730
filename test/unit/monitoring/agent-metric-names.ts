import { renderMetrics, type MetricsSnapshot } from '../../../src/agent/metrics-render.js';

/** A snapshot with every optional part present, so that the renderer writes every metric family it knows. */
export function fullSnapshot(): MetricsSnapshot {
  const at = new Date('2026-03-10T12:00:00Z');
  return {
    at,
    tiers: [{ tier: 'db', dataset: 'ticks', files: 1, bytes: 1 }],
    days: [{ dataset: 'ticks', state: 'sealed', count: 1 }],
    quarantinedDays: [{ dataset: 'ticks', count: 0 }],
    busyDays: [{ dataset: 'ticks', count: 0 }],
    compression: [{ dataset: 'ticks', ratio: 0.3 }],
    jobs: [{ job: 'rotate', lastRunAt: at, lastSuccessAt: at, lastRunOk: true, consecutiveFailures: 0 }],
    disk: [{ tier: 'db', path: '/r/db', freeBytes: 1, sizeBytes: 2 }],
    auditLines: 1,
    metadataOk: true,
    agent: { up: true, startedAt: at },
    ops: {
      drill: { lastRunAt: at, lastRunOk: true, lastSuccessAt: at },
      drillStale: false,
      wal: [{ dataset: 'ticks', walBytes: 1, growingSeconds: 0, writerVersion: 3_053_002 }],
      backlog: [{ dataset: 'ticks', count: 0 }],
    },
    export: {
      lastRun: { at, ok: true, failedDays: 0, exportedDays: 1, successAt: at },
      datasets: [{ dataset: 'ticks', exported: 1, purgedUnexported: 0 }],
    },
  };
}

/** Every metric name the agent's textfile can hold (from its `# TYPE` lines). */
export function agentMetricNames(): Set<string> {
  const text = renderMetrics(fullSnapshot());
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? ''));
}
