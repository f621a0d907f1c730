#!/usr/bin/env node
// Thin launcher: the CLI runs from dist/bundle, which `npm install` builds through the prepare script (tsc into
// dist/src, then scripts/bundle.ts bundles it for a faster start).
import { availableParallelism } from 'node:os';

// zstd frames are compressed on libuv's thread pool, which file I/O shares. Keep one thread free for I/O beyond
// the default compressionThreads (min(cores, 4)); set before anything uses the pool. An operator's value wins.
if (process.env.UV_THREADPOOL_SIZE === undefined) {
  process.env.UV_THREADPOOL_SIZE = String(Math.max(4, Math.min(availableParallelism(), 4) + 1));
}

const { main } = await import('../dist/bundle/main.js');
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tickdb: internal error: ${err?.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
