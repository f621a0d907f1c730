#!/usr/bin/env node
// Thin launcher: the CLI runs from dist/bundle, which `npm install` builds through the prepare script (tsc into
// dist/src, then scripts/bundle.ts bundles it for a faster start). Nothing else runs before it: zstd frames are
// (de)compressed on worker threads of their own, compressionThreads of them (src/zstd/frame-pool.ts), so libuv's
// pool keeps its default size and serves file I/O alone.
//
// This file is CommonJS (bin/package.json): Node starts a CommonJS entry about 5 ms sooner than an ES module, which
// is what `tickdb --version` pays against its 80 ms target (issue 22; Node alone takes 70 ms on the development VM,
// where NODE_EXTRA_CA_CERTS is set). The bundle itself is an ES module, loaded by import() below.
'use strict';
const argv = process.argv;
if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
  // Answered here, before the bundle's modules load: package.json sits next to bin/ in a checkout and in the release
  // tree. src/cli/main.ts answers the same line for in-process callers.
  const { readFileSync } = require('node:fs');
  const { join } = require('node:path');
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
  process.stdout.write(`${manifest.version}\n`);
} else {
  import('../dist/bundle/main.js').then(({ main }) => run(main), missingBuild);
}

function run(main) {
  main(argv).then((code) => {
    process.exitCode = code;
  }, fail);
}

function missingBuild(err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') return fail(err);
  const root = require('node:path').join(__dirname, '..');
  process.stderr.write(
    `tickdb: the built CLI or one of its dependencies is missing (${err.message}); hint: run \`npm install\` in ${root}\n`,
  );
  process.exitCode = 1;
}

function fail(err) {
  process.stderr.write(`tickdb: internal error: ${err?.stack ?? String(err)}\n`);
  process.exitCode = 1;
}
