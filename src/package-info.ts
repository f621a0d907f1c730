import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TickdbError } from './errors.js';

interface Manifest {
  name?: unknown;
  version?: unknown;
}

function readManifest(file: string): Manifest | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Manifest) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The folder holding tickdb's package.json, found by walking up from this module (src/, dist/src/ or
 * dist/bundle/). Read at run time, not imported: a JSON import would be copied into dist/ by tsc and found first.
 */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readManifest(manifest)?.name === 'tickdb') return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new TickdbError('NOT_FOUND', `cannot find tickdb's package.json above ${from}`, {
        hint: 'run tickdb from its installation (bin/tickdb.js), or give the launcher with --tickdb-bin',
      });
    }
    dir = parent;
  }
}

/** tickdb's version, from its package.json. */
export function packageVersion(): string {
  const version = readManifest(join(packageRoot(), 'package.json'))?.version;
  return typeof version === 'string' ? version : '0.0.0';
}
