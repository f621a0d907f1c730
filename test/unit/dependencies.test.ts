import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

/** Every .ts/.js file under `dir` (recursively). */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|js|cjs|mjs)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/**
 * The packages a source text imports or requires, its subpaths folded into the package (`createRequire(url)('x')`
 * included).
 */
function importedPackages(text: string): Set<string> {
  const found = new Set<string>();
  for (const m of text.matchAll(
    /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+|\)\s*\(\s*)['"]([^'"./][^'"]*)['"]/g,
  )) {
    const spec = m[1] ?? '';
    if (spec.startsWith('node:')) continue;
    const parts = spec.split('/');
    found.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec));
  }
  return found;
}

describe('package.json dependencies', () => {
  it('lists no runtime dependency that the shipped code (src/, bin/, scripts/) does not use', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const used = new Set<string>();
    for (const file of [...sourceFiles('src'), ...sourceFiles('bin'), ...sourceFiles('scripts')]) {
      for (const p of importedPackages(readFileSync(file, 'utf8'))) used.add(p);
    }
    const unused = Object.keys(pkg.dependencies).filter((d) => !used.has(d));
    expect(unused).toEqual([]);
  });
});
