import { spawnSync } from 'node:child_process';

/** `promtool check metrics` on `text`; promtool missing is a failure (CI installs the Debian `prometheus` package). */
export function promtoolCheck(text: string): { code: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error !== undefined) {
    throw new Error(
      `promtool is required for this test and could not be run (${r.error.message}); install the Debian package "prometheus" (.ci/run does)`,
    );
  }
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}
