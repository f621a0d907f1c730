import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';
import { MISSING_PROGRAMS_ENV, PROGRAM_PACKAGES, type ExternalProgram } from './external-programs.js';

/**
 * Ends the run with one line naming the external programs that were missing (so their tests skipped) and the
 * Debian packages to install, and the number of skipped tests, which a skip must never hide.
 */
export default class MissingProgramsReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    let skipped = 0;
    for (const m of modules) for (const t of m.children.allTests()) if (t.result().state === 'skipped') skipped++;
    const file = process.env[MISSING_PROGRAMS_ENV];
    const missing =
      file !== undefined && existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    if (file !== undefined) rmSync(file, { force: true });
    const names = [...new Set(missing)].sort() as ExternalProgram[];
    const packages = [...new Set(names.map((n) => PROGRAM_PACKAGES[n] ?? n))].sort();
    const install = packages.length === 0 ? '' : `; missing ${names.join(', ')}: apt-get install ${packages.join(' ')}`;
    process.stdout.write(`tickdb tests: ${skipped} skipped${install}\n`);
  }
}
