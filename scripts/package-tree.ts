// The release tree of `npm run package` (scripts/package.ts): what /opt/tickdb holds, and what the tarball unpacks to.
//
//   bin/tickdb        the launcher (packaging/bin/tickdb): runs bin/tickdb.js with node/bin/node
//   bin/tickdb.js     the CLI, loading dist/bundle
//   node/             the Node runtime (bin/node, LICENSE)
//   node_modules/     the production dependencies, native addons built for that runtime
//   scripts/          install-linux.sh, uninstall-linux.sh (tarball installs)
//   package.json, README.md, CHANGELOG.md, docs/
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './package-run.js';

export interface TreeOptions {
  repo: string;
  /** The unpacked runtime (package-runtime.ts). */
  runtime: string;
  runtimeVersion: string;
  /** Where the tree is built (created, replaced). */
  dir: string;
  /** Keeps built node_modules between builds, keyed by the lock file and the runtime. */
  cacheDir: string;
}

const COPIED = [
  'bin/tickdb.js',
  'bin/package.json',
  'dist/bundle',
  'package.json',
  'package-lock.json',
  'README.md',
  'CHANGELOG.md',
  'docs',
];
const SCRIPTS = ['install-linux.sh', 'uninstall-linux.sh'];

/**
 * `npm ci --omit=dev` without install scripts (they would fetch prebuilt addons from outside the registry), then
 * `npm rebuild --build-from-source` with the carried runtime first in PATH and its headers as nodedir, so that
 * node-gyp compiles better-sqlite3 for that runtime's ABI. N-API addons are rebuilt too (no cost when prebuilt).
 * The result is cached: the compile takes minutes on two busy cores.
 */
async function productionModules(opts: TreeOptions): Promise<string> {
  const lock = await readFile(join(opts.repo, 'package-lock.json'));
  const key = createHash('sha256').update(lock).update(opts.runtimeVersion).digest('hex').slice(0, 16);
  const cached = join(opts.cacheDir, `node_modules-${key}`);
  if (existsSync(join(cached, 'node_modules', '.package-lock.json'))) return join(cached, 'node_modules');
  const work = `${cached}.tmp`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) await cp(join(opts.repo, f), join(work, f));
  const env = {
    ...process.env,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  run('npm', ['ci', '--omit=dev', '--ignore-scripts'], { cwd: work, env });
  run('npm', ['rebuild', '--build-from-source'], {
    cwd: work,
    stream: true,
    env: {
      ...env,
      PATH: `${join(opts.runtime, 'bin')}:${process.env.PATH ?? ''}`,
      npm_config_nodedir: opts.runtime,
      npm_config_jobs: '2',
    },
  });
  await rm(cached, { recursive: true, force: true });
  await cp(work, cached, { recursive: true, verbatimSymlinks: true });
  await rm(work, { recursive: true, force: true });
  return join(cached, 'node_modules');
}

/**
 * The compiler's objects, the sqlite and zstd sources, the test extension, dotfiles and web pages of the dependencies:
 * nothing loads them. The addons are stripped and not executable (a shared object is loaded, not run).
 */
async function trimBuildLeftovers(modules: string): Promise<void> {
  const leftovers = [
    'better-sqlite3/deps',
    'better-sqlite3/src',
    'better-sqlite3/build/deps',
    'better-sqlite3/build/Release/test_extension.node',
    'better-sqlite3/build/Release/sqlite3.a',
    'zstd-napi/deps',
    'zstd-napi/build/Release/zstd.a',
  ];
  for (const addon of ['better-sqlite3', 'zstd-napi']) {
    for (const p of ['obj', 'obj.target', '.deps']) leftovers.push(`${addon}/build/Release/${p}`);
  }
  for (const p of leftovers) await rm(join(modules, p), { recursive: true, force: true });
  run('find', [
    modules,
    '-type',
    'f',
    '(',
    '-name',
    '.npmignore',
    '-o',
    '-name',
    '.eslintrc*',
    '-o',
    '-name',
    '.gitattributes',
    '-o',
    '-name',
    '.travis.yml',
    '-o',
    '-name',
    '*.html',
    ')',
    '-delete',
  ]);
  run('find', [modules, '-type', 'f', '-name', '*.node', '-exec', 'strip', '--strip-unneeded', '{}', '+']);
  run('find', [modules, '-type', 'f', '-name', '*.node', '-exec', 'chmod', '0644', '{}', '+']);
  run('find', [modules, '-type', 'f', '-name', '*.so', '-exec', 'strip', '--strip-unneeded', '{}', '+']);
  // A script (#!) is executable, a program too; anything else is not (a package's index.js, a shared object).
  for (const entry of await readdir(modules, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    const mode = (await stat(file)).mode & 0o777;
    const head = (await readFile(file)).subarray(0, 4);
    const script = head.subarray(0, 2).toString() === '#!';
    const program = head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) && !/\.(node|so)$/.test(entry.name);
    const wanted = script || program ? 0o755 : 0o644;
    if (mode !== wanted) await chmod(file, wanted);
  }
}

export async function buildTree(opts: TreeOptions): Promise<void> {
  await rm(opts.dir, { recursive: true, force: true });
  await mkdir(join(opts.dir, 'node', 'bin'), { recursive: true });
  await mkdir(join(opts.dir, 'scripts'), { recursive: true });
  for (const p of COPIED) {
    if (existsSync(join(opts.repo, p))) await cp(join(opts.repo, p), join(opts.dir, p), { recursive: true });
  }
  for (const s of SCRIPTS) await cp(join(opts.repo, 'scripts', s), join(opts.dir, 'scripts', s));
  await cp(join(opts.repo, 'packaging', 'bin', 'tickdb'), join(opts.dir, 'bin', 'tickdb'));
  await chmod(join(opts.dir, 'bin', 'tickdb'), 0o755);
  await cp(join(opts.runtime, 'bin', 'node'), join(opts.dir, 'node', 'bin', 'node'));
  await cp(join(opts.runtime, 'LICENSE'), join(opts.dir, 'node', 'LICENSE'));
  await cp(await productionModules(opts), join(opts.dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  await trimBuildLeftovers(join(opts.dir, 'node_modules'));
  // The tree runs on its own: the carried node, the rebuilt addons (a database is opened), no Node in PATH.
  const bare = { PATH: '/usr/bin:/bin', HOME: opts.dir };
  const version = run(join(opts.dir, 'bin', 'tickdb'), ['--version'], { env: bare }).trim();
  const sqlite = run(
    join(opts.dir, 'node', 'bin', 'node'),
    [
      '-e',
      "const D = require('better-sqlite3'); console.log(new D(':memory:').prepare('select sqlite_version() v').get().v)",
    ],
    { cwd: opts.dir, env: bare },
  ).trim();
  process.stderr.write(`package: tree runs: tickdb ${version}, node v${opts.runtimeVersion}, sqlite ${sqlite}\n`);
}
