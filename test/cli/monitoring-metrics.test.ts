/**
 * The alert rules and the dashboard against the metrics file a real agent writes (not the renderer's full
 * snapshot, which test/unit/monitoring/ checks): a tree that has rotated, compressed, drilled and exported, then
 * the agent started and stopped. A metric that the renderer knows but the agent never collects would pass the unit tests and fail
 * here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, expectExit, runCli, spawnCli, tempDir } from '../helpers/cli.js';

const NOW = '2026-03-20T12:00:00Z';

describe('monitoring/ names only metrics the agent writes', () => {
  it('every tickdb_* name of the alert rules and of the dashboard is in the metrics file of a working tree', async () => {
    const t = tempDir('tickdb-monitoring-');
    try {
      const root = join(t.dir, 'root');
      const config = join(t.dir, 'tickdb.json');
      writeFileSync(
        config,
        JSON.stringify({ compressAfterDays: 3, compressionLevel: 3, export: { dir: join(t.dir, 'lake') } }),
      );
      const cli = (...args: string[]) => runCli([...args, '--root', root, '--config', config, '--now', NOW]);
      expectExit(cli('simulate', '--days', '5', '--rows', '300'));
      expectExit(cli('run', '--once'));
      expectExit(cli('drill'));
      expectExit(cli('export', '--from', '2026-03-15', '--to', '2026-03-19'));
      // Then the agent itself (it alone writes its start time), stopped once it has written its metrics.
      const metrics = join(root, 'metrics', 'tickdb.prom');
      const agent = spawnCli(['run', '--root', root, '--config', config, '--now', NOW, '--log-level', 'warn']);
      const exited = new Promise((resolve) => agent.on('exit', resolve));
      const started = Date.now();
      while (!/^tickdb_agent_up 1$/m.test(readFileSync(metrics, 'utf8')) && Date.now() - started < 30_000)
        await new Promise((r) => setTimeout(r, 100));
      expect(readFileSync(metrics, 'utf8'), 'the agent wrote no metrics within 30 s').toMatch(/^tickdb_agent_up 1$/m);
      agent.kill('SIGTERM');
      await exited;
      const file = readFileSync(metrics, 'utf8');
      const written = new Set([...file.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? ''));

      const names = (text: string): string[] => [...text.matchAll(/\btickdb_[a-z0-9_]+\b/g)].map((m) => m[0]);
      const rules = readFileSync(join(REPO, 'monitoring', 'tickdb-alerts.yml'), 'utf8');
      const dashboard = readFileSync(join(REPO, 'monitoring', 'grafana', 'tickdb-dashboard.json'), 'utf8');
      const used = new Set([...names(rules), ...names(dashboard)]);
      expect(used.size).toBeGreaterThan(20);
      expect([...used].filter((n) => !written.has(n)).sort()).toEqual([]);
    } finally {
      t.cleanup();
    }
  });
});
