#!/usr/bin/env node
// Thin launcher: the CLI runs from dist/bundle, which `npm install` builds through the prepare script (tsc into
// dist/src, then scripts/bundle.ts bundles it for a faster start). Nothing else runs before it: zstd frames are
// (de)compressed on worker threads of their own, compressionThreads of them (src/zstd/frame-pool.ts), so libuv's
// pool keeps its default size and serves file I/O alone.
const argv = process.argv;
if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
  // Answered here, before the bundle's modules load: package.json sits next to bin/ in a checkout and in the release
  // tree. Node's ESM loader for three more modules was 5 ms of an 80 ms target (issue 22; Node alone takes 73 ms on
  // the development VM). src/cli/main.ts answers the same line for in-process callers.
  const { readFileSync } = await import('node:fs');
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${manifest.version}\n`);
} else {
  const { main } = await import('../dist/bundle/main.js');
  run(main);
}

function run(main) {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`tickdb: internal error: ${err?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
