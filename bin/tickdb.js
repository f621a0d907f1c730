#!/usr/bin/env node
// Thin launcher: the CLI runs from dist/bundle, which `npm install` builds through the prepare script (tsc into
// dist/src, then scripts/bundle.ts bundles it for a faster start). Nothing else runs before it: zstd frames are
// (de)compressed on worker threads of their own, compressionThreads of them (src/zstd/frame-pool.ts), so libuv's
// pool keeps its default size and serves file I/O alone.
const { main } = await import('../dist/bundle/main.js');
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tickdb: internal error: ${err?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
