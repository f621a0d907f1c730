import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../../helpers/cli.js';
import { needProgram } from '../../helpers/external-programs.js';
import { agentMetricNames } from './agent-metric-names.js';

const RULES = join(REPO, 'monitoring', 'tickdb-alerts.yml');
const TEST_DIR = join(REPO, 'monitoring', 'tests');
/** Minute steps for the short windows, hourly steps for the windows of days (a minute step over weeks is slow). */
const TESTS = ['tickdb-alerts.test.yml', 'tickdb-alerts-days.test.yml'];

describe.skipIf(!needProgram('promtool'))('monitoring/tickdb-alerts.yml', () => {
  it('is valid for Prometheus (promtool check rules)', () => {
    const r = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes its unit tests (promtool test rules): each alert fires when it should and only then', () => {
    const r = spawnSync('promtool', ['test', 'rules', ...TESTS], { encoding: 'utf8', cwd: TEST_DIR });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS/);
  });
});

describe('the alert rules and the runbook', () => {
  const rules = readFileSync(RULES, 'utf8');
  const tests = TESTS.map((f) => readFileSync(join(TEST_DIR, f), 'utf8')).join('\n');
  const alerts = [...rules.matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1] ?? '');

  it('name only metrics the agent writes', () => {
    const used = new Set([...rules.matchAll(/\btickdb_[a-z0-9_]+\b/g)].map((m) => m[0]));
    const written = agentMetricNames();
    expect([...used].filter((name) => !written.has(name))).toEqual([]);
  });

  it('are each tested, and each link to a runbook entry that exists in docs/operations.md', () => {
    const runbook = readFileSync(join(REPO, 'docs', 'operations.md'), 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        (m[1] ?? '')
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    expect(alerts.length).toBeGreaterThan(10);
    for (const alert of alerts) expect(tests, `no test of ${alert}`).toContain(`alertname: ${alert}`);
    for (const m of rules.matchAll(/runbook: "docs\/operations\.md#([a-z0-9-]+)"/g))
      expect(anchors, `anchor #${m[1]}`).toContain(m[1]);
  });
});
