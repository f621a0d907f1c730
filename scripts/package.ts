// `npm run package`: the release build, written to release/ (see docs/packaging.md).
//
//   release/tickdb-<version>-linux-x64.tar.gz   tickdb-<version>-linux-x64/ with bin/tickdb and its own Node runtime
//   release/tickdb_<version>_amd64.deb          the same tree in /opt/tickdb, the unit, the user, /etc/tickdb
//
// Needs: the build (`npm run build`, which `npm run package` runs first), npm (the runtime and the production
// dependencies come from the registry), a C++ toolchain (node-gyp compiles better-sqlite3 for the runtime),
// tar, dpkg-deb and dpkg-shlibdeps (Debian's dpkg and dpkg-dev).
import { readFile } from 'node:fs/promises';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDeb } from './package-deb.js';
import { run, step } from './package-run.js';
import { NODE_RUNTIME, nodeRuntime } from './package-runtime.js';
import { buildTree } from './package-tree.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RELEASE = join(REPO, 'release');
// The runtime and the production tree compiled for it, keyed by their inputs: minutes of compiling to skip.
// TICKDB_PACKAGE_CACHE puts it outside the checkout (the container test does, so that fresh clones share it).
const CACHE = process.env.TICKDB_PACKAGE_CACHE ?? join(RELEASE, '.cache');

async function main(): Promise<void> {
  const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
  const commitSeconds = Number(run('git', ['log', '-1', '--format=%ct'], { cwd: REPO }).trim());
  const date = new Date(commitSeconds * 1000);
  const name = `tickdb-${version}-linux-x64`;
  const work = join(RELEASE, '.work');
  await rm(work, { recursive: true, force: true });
  await mkdir(CACHE, { recursive: true });

  const runtime = await step(`Node ${NODE_RUNTIME.version} runtime`, () => nodeRuntime(CACHE));
  const tree = join(work, name);
  await step('release tree (production dependencies built for the runtime)', () =>
    buildTree({ repo: REPO, runtime, runtimeVersion: NODE_RUNTIME.version, dir: tree, cacheDir: CACHE }),
  );

  const tarball = join(RELEASE, `${name}.tar.gz`);
  await step(`${name}.tar.gz`, () => {
    const epoch = `@${commitSeconds}`;
    run('tar', [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      `--mtime=${epoch}`,
      '-C',
      work,
      '-czf',
      tarball,
      name,
    ]);
  });
  const deb = join(RELEASE, `tickdb_${version}_amd64.deb`);
  const { depends } = await step(`tickdb_${version}_amd64.deb`, () =>
    buildDeb({ repo: REPO, version, date, tree, dir: join(work, 'deb'), out: deb }),
  );
  await rm(work, { recursive: true, force: true });

  process.stdout.write(`package: wrote ${tarball}\npackage: wrote ${deb}\npackage: needs ${depends}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
