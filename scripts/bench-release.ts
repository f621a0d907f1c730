/**
 * `npm run bench -- --release`: the release tree of `npm run package` (scripts/package-tree.ts) beside the checkout,
 * so that the start-up, query and export steps also measure what the .deb and the tarball install: this build's
 * bundle on the Node runtime the release carries (scripts/package-runtime.ts), with the addons compiled for it.
 *
 * Why: development runs on the machine's Node 20, the release on Node 22, and start-up is a large part of short
 * commands (a cached query is about 80 ms of its 220 ms before its first day on Node 20, where NODE_EXTRA_CA_CERTS
 * is parsed at every start; Node 22 reads that bundle only when a TLS connection needs it).
 *
 * The tree is built in the work folder from the runtime and the production modules that `npm run package` caches
 * (release/.cache, or TICKDB_PACKAGE_CACHE): minutes of download and compiling the first time, seconds after.
 */
import { join } from 'node:path';
import { NODE_RUNTIME, nodeRuntime } from './package-runtime.js';
import { buildTree } from './package-tree.js';
import { REPO, type TickdbRuntime } from './bench-cli.js';

export async function releaseRuntime(work: string, log: (line: string) => void): Promise<TickdbRuntime> {
  const cacheDir = process.env.TICKDB_PACKAGE_CACHE ?? join(REPO, 'release', '.cache');
  log(`release: Node ${NODE_RUNTIME.version} and the production modules built for it (cache ${cacheDir}) ...`);
  const runtime = await nodeRuntime(cacheDir);
  const dir = join(work, 'release-tree');
  await buildTree({ repo: REPO, runtime, runtimeVersion: NODE_RUNTIME.version, dir, cacheDir });
  return {
    label: `release tree, Node ${NODE_RUNTIME.version}`,
    node: join(dir, 'node', 'bin', 'node'),
    bin: join(dir, 'bin', 'tickdb.js'),
  };
}
