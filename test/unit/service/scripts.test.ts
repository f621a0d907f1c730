import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './fixtures.js';
import { needProgram } from '../../helpers/external-programs.js';

const SHELL_SCRIPTS = ['install-linux.sh', 'uninstall-linux.sh'].map((f) => join(REPO, 'scripts', f));
const PS_SCRIPTS = ['install-windows.ps1', 'uninstall-windows.ps1'].map((f) => join(REPO, 'scripts', f));

const SHELLCHECK = needProgram('shellcheck');
if (!SHELLCHECK) console.warn('shellcheck tests skipped: shellcheck is not installed (apt-get install shellcheck)');

describe('linux install scripts', () => {
  it.each(SHELL_SCRIPTS)('%s parses (bash -n) and is strict (set -euo pipefail)', async (script) => {
    const r = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(await readFile(script, 'utf8')).toMatch(/^set -euo pipefail$/m);
  });

  it.skipIf(!SHELLCHECK).each(SHELL_SCRIPTS)('%s is shellcheck-clean (all optional checks on)', (script) => {
    const r = spawnSync('shellcheck', ['--enable=all', script], { encoding: 'utf8' });
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});

/**
 * Outside strings and comments, braces, parentheses and brackets of a PowerShell script must balance. There is no
 * PowerShell here: this catches a truncated or mis-edited script, nothing more (docs/service.md says so).
 */
function unbalanced(source: string): string | undefined {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? '';
    if (source.startsWith('<#', i)) {
      const end = source.indexOf('#>', i + 2);
      if (end < 0) return 'unterminated <# comment';
      i = end + 2;
    } else if (c === '#') {
      const end = source.indexOf('\n', i);
      i = end < 0 ? source.length : end;
    } else if (c === "'") {
      // '' is an escaped quote inside a single-quoted string.
      let j = i + 1;
      while (j < source.length && !(source[j] === "'" && source[j + 1] !== "'")) j += source[j] === "'" ? 2 : 1;
      if (j >= source.length) return `unterminated string at ${i}`;
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== '"') j += source[j] === '`' ? 2 : 1;
      if (j >= source.length) return `unterminated string at ${i}`;
      i = j + 1;
    } else {
      if ('({['.includes(c)) stack.push(c);
      const open = pairs[c];
      if (open !== undefined && stack.pop() !== open) return `unmatched "${c}" at ${i}`;
      i++;
    }
  }
  return stack.length === 0 ? undefined : `unclosed "${stack.join('')}"`;
}

describe('windows install scripts (static checks only: no PowerShell here)', () => {
  it.each(PS_SCRIPTS)('%s is strict, needs an elevated shell, balances its brackets', async (script) => {
    const text = await readFile(script, 'utf8');
    expect(text).toMatch(/^Set-StrictMode -Version Latest$/m);
    expect(text).toMatch(/^\$ErrorActionPreference = 'Stop'$/m);
    expect(text).toMatch(/WindowsBuiltInRole\]::Administrator/);
    expect(unbalanced(text)).toBeUndefined();
  });

  it.each(PS_SCRIPTS)('%s downloads nothing', async (script) => {
    expect(await readFile(script, 'utf8')).not.toMatch(
      /Invoke-WebRequest|Invoke-RestMethod|Start-BitsTransfer|DownloadFile|WebClient|\bcurl\b|\bwget\b|https?:\/\//i,
    );
  });

  it('install-windows.ps1 takes the WinSW executable from the operator and registers it with tickdb.xml', async () => {
    const text = await readFile(PS_SCRIPTS[0] ?? '', 'utf8');
    expect(text).toMatch(/\[Parameter\(Mandatory = \$true\)\] \[string\] \$WinSWExe/);
    expect(text).toMatch(/'service', 'install', '--platform', 'windows'/);
    expect(text).toMatch(/Join-Path \$env:ProgramData 'tickdb'/);
    expect(text).toMatch(/& \$exe install/);
  });

  it('the bracket check itself rejects broken input', () => {
    expect(unbalanced('if ($a) { "}" }')).toBeUndefined();
    expect(unbalanced("$x = 'it''s (' ; foo(")).toMatch(/unclosed/);
    expect(unbalanced('foo { ) }')).toMatch(/unmatched/);
  });
});
