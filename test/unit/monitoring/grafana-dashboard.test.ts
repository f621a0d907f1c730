import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../../helpers/cli.js';
import { agentMetricNames } from './agent-metric-names.js';

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
  time: { from: string; to: string };
}

const PANEL_TYPES = new Set(['row', 'stat', 'timeseries', 'gauge', 'table', 'bargauge', 'text']);
const dashboard = JSON.parse(
  readFileSync(join(REPO, 'monitoring', 'grafana', 'tickdb-dashboard.json'), 'utf8'),
) as Dashboard;

describe('monitoring/grafana/tickdb-dashboard.json', () => {
  it('has the structure Grafana imports: uid, title, schema version, time range, templating, panels', () => {
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.title).toBe('tickdb');
    expect(Number.isInteger(dashboard.schemaVersion)).toBe(true);
    expect(dashboard.time).toEqual({ from: expect.any(String), to: 'now' });
    const variables = dashboard.templating.list.map((v) => `${v.name}:${v.type}`);
    expect(variables).toEqual(['datasource:datasource', 'instance:query']);
    expect(dashboard.panels.length).toBeGreaterThan(10);
  });

  it('gives every panel a unique id, a known type, a title, and a place on the 24-column grid without overlaps', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const taken = new Set<string>();
    for (const p of dashboard.panels) {
      expect(PANEL_TYPES.has(p.type), `${p.title}: type ${p.type}`).toBe(true);
      expect(p.title.length).toBeGreaterThan(0);
      const { h, w, x, y } = p.gridPos;
      expect(x >= 0 && w > 0 && x + w <= 24 && h > 0 && y >= 0, `${p.title}: gridPos`).toBe(true);
      for (let row = y; row < y + h; row++) {
        for (let col = x; col < x + w; col++) {
          const cell = `${row}:${col}`;
          expect(taken.has(cell), `${p.title} overlaps another panel at ${cell}`).toBe(false);
          taken.add(cell);
        }
      }
      if (p.type === 'row') continue;
      expect(p.targets?.length, `${p.title}: targets`).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own variable syntax, not a template
        expect(t.datasource?.uid).toBe('${datasource}');
        expect(t.expr).toContain('instance=~"$instance"');
      }
    }
  });

  it('names only metrics the agent writes, and shows the drill, WAL, disk, backlog and quarantine metrics', () => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\btickdb_[a-z0-9_]+\b/g)].map((m) => m[0])));
    const written = agentMetricNames();
    expect([...used].filter((name) => !written.has(name))).toEqual([]);
    for (const name of [
      'tickdb_agent_up',
      'tickdb_drill_last_success_timestamp_seconds',
      'tickdb_drill_last_run_ok',
      'tickdb_wal_bytes',
      'tickdb_wal_growing_seconds',
      'tickdb_writer_sqlite_version',
      'tickdb_disk_free_bytes',
      'tickdb_backlog',
      'tickdb_quarantined',
    ]) {
      expect(used, name).toContain(name);
    }
  });
});
