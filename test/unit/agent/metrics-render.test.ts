import { describe, expect, it } from 'vitest';
import { renderMetrics, type MetricsSnapshot } from '../../../src/agent/metrics-render.js';
import { promtoolCheck } from './promtool.js';
import { needProgram } from '../../helpers/external-programs.js';

const snapshot: MetricsSnapshot = {
  at: new Date('2026-03-10T13:00:05Z'),
  tiers: [
    { tier: 'db', dataset: 'ticks', files: 9, bytes: 1_234_567 },
    { tier: 'archive', dataset: 'ticks', files: 20, bytes: 7_654_321 },
    { tier: 'backup', dataset: 'ticks', files: 6, bytes: 600_000 },
    { tier: 'db', dataset: 'fx-quotes', files: 0, bytes: 0 },
  ],
  days: [
    { dataset: 'ticks', state: 'live', count: 2 },
    { dataset: 'ticks', state: 'compressed', count: 5 },
    { dataset: 'ticks', state: 'quarantined', count: 1 },
  ],
  quarantinedDays: [
    { dataset: 'ticks', count: 1 },
    { dataset: 'fx-quotes', count: 0 },
  ],
  busyDays: [
    { dataset: 'ticks', count: 1 },
    { dataset: 'fx-quotes', count: 0 },
  ],
  compression: [{ dataset: 'ticks', ratio: 0.25 }],
  jobs: [
    {
      job: 'rotate',
      lastRunAt: new Date('2026-03-10T00:15:03Z'),
      lastSuccessAt: new Date('2026-03-10T00:15:03Z'),
      lastRunOk: true,
      consecutiveFailures: 0,
    },
    {
      job: 'compress',
      lastRunAt: new Date('2026-03-10T02:00:09Z'),
      lastSuccessAt: new Date('2026-03-09T02:00:11Z'),
      lastRunOk: false,
      consecutiveFailures: 2,
    },
    { job: 'purge', consecutiveFailures: 0 },
  ],
  disk: [{ tier: 'db', path: '/srv/ticks "main"\\db', freeBytes: 5e10, sizeBytes: 1e11 }],
  auditLines: 42,
  metadataOk: true,
  agent: { up: true, startedAt: new Date('2026-03-10T12:00:00Z') },
  export: {
    lastRun: { at: new Date('2026-03-10T03:00:07Z'), ok: false, failedDays: 2, exportedDays: 5 },
    datasets: [
      { dataset: 'ticks', exported: 40, purgedUnexported: 3 },
      { dataset: 'fx-quotes', exported: 0, purgedUnexported: 0 },
    ],
  },
};

describe('renderMetrics', () => {
  const text = renderMetrics(snapshot);
  const lines = text.split('\n');

  it('gives every metric a HELP and a TYPE line, all named tickdb_*', () => {
    const names = new Set(lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]));
    for (const name of names) {
      expect(name).toMatch(/^tickdb_[a-z_]+$/);
      // Gauges, and counters named *_total (the S3 archive's upload bytes and failures).
      expect(lines).toContain(`# TYPE ${name} ${name?.endsWith('_total') === true ? 'counter' : 'gauge'}`);
      expect(lines.some((l) => l.startsWith(`# HELP ${name} `))).toBe(true);
    }
    expect(text.endsWith('\n')).toBe(true);
  });

  it('renders the values with their labels (unix seconds for times)', () => {
    expect(lines).toContain('tickdb_agent_up 1');
    expect(lines).toContain('tickdb_agent_start_time_seconds 1773144000');
    expect(lines).toContain('tickdb_metrics_timestamp_seconds 1773147605');
    expect(lines).toContain('tickdb_tier_files{tier="archive",dataset="ticks"} 20');
    expect(lines).toContain('tickdb_tier_bytes{tier="db",dataset="ticks"} 1234567');
    expect(lines).toContain('tickdb_tier_files{tier="db",dataset="fx-quotes"} 0');
    expect(lines).toContain('tickdb_day_states{dataset="ticks",state="compressed"} 5');
    expect(lines).toContain('tickdb_quarantined{dataset="ticks"} 1');
    expect(lines).toContain('tickdb_busy{dataset="ticks"} 1');
    expect(lines).toContain('tickdb_compression_ratio{dataset="ticks"} 0.25');
    expect(lines).toContain('tickdb_job_last_success_timestamp_seconds{job="compress"} 1773021611');
    expect(lines).toContain('tickdb_job_last_run_ok{job="compress"} 0');
    expect(lines).toContain('tickdb_job_last_run_ok{job="rotate"} 1');
    expect(lines).toContain('tickdb_job_consecutive_failures{job="compress"} 2');
    expect(lines).toContain('tickdb_job_consecutive_failures{job="purge"} 0');
    expect(lines).toContain('tickdb_audit_lines 42');
    expect(lines).toContain('tickdb_metadata_ok 1');
    expect(lines).toContain('tickdb_export_last_run_timestamp_seconds 1773111607');
    expect(lines).toContain('tickdb_export_last_run_ok 0');
    expect(lines).toContain('tickdb_export_last_run_failed 2');
    expect(lines).toContain('tickdb_export_last_run_exported 5');
    expect(text).not.toContain('tickdb_export_last_success_timestamp_seconds');
    expect(lines).toContain('tickdb_exported{dataset="ticks"} 40');
    expect(lines).toContain('tickdb_purged_unexported{dataset="ticks"} 3');
    expect(lines).toContain('tickdb_exported{dataset="fx-quotes"} 0');
    expect(lines).toContain('tickdb_disk_free_bytes{tier="db",path="/srv/ticks \\"main\\"\\\\db"} 50000000000');
  });

  it('leaves out what is not known (a job that never ran has no timestamps)', () => {
    expect(text).not.toContain('tickdb_job_last_run_timestamp_seconds{job="purge"}');
    expect(text).not.toContain('tickdb_job_last_run_ok{job="purge"}');
    const stopped = renderMetrics({ ...snapshot, agent: { up: false } });
    expect(stopped).toContain('tickdb_agent_up 0');
    expect(stopped).not.toContain('tickdb_agent_start_time_seconds');
  });

  it.skipIf(!needProgram('promtool'))('is accepted by promtool check metrics (lint included)', () => {
    const r = promtoolCheck(text);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  });

  it.skipIf(!needProgram('promtool'))('is accepted by promtool with empty families too (a fresh root)', () => {
    const empty = renderMetrics({
      at: new Date('2026-03-10T13:00:00Z'),
      tiers: [],
      days: [],
      quarantinedDays: [],
      busyDays: [],
      compression: [],
      jobs: [],
      disk: [],
      auditLines: 0,
      metadataOk: false,
      agent: { up: false },
    });
    const r = promtoolCheck(empty);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  });
});
