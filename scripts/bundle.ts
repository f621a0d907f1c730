// Bundles the CLI that tsc compiled into dist/src into dist/bundle, which bin/tickdb.js loads (`npm run build`).
//
// Why: start-up is part of every health check and every investigation, and most of it was Node loading modules
// one file at a time. zod alone is 94 files: it took about 0.1 s of the 0.27 s that `tickdb decompress` needed
// before its first read. Bundled, zod and commander are tree-shaken into a chunk shared with our code. Each command
// stays a chunk of its own, loaded on demand (src/cli/commands.ts).
//
// What stays outside: Node's modules, and the dependencies that are native (better-sqlite3, zstd-napi),
// start threads from files of their own (pino), or are loaded lazily anyway. dist/src stays the tree that the
// benchmark imports. The worker that SQLite inspection runs in is an entry of its own, written next to the chunk
// that starts it (src/worker-url.ts), and so are the zstd frame and sink workers. Source maps lead back to dist/src (`node --enable-source-maps`).
import { build } from 'rolldown';

const BUNDLED = new Set(['zod', 'commander']);

function isExternal(id: string): boolean {
  if (id.startsWith('node:')) return true;
  if (id.startsWith('.') || id.startsWith('/')) return false;
  const name = id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0];
  return name === undefined || !BUNDLED.has(name);
}

const result = await build({
  input: {
    main: 'dist/src/cli/main.js',
    'inspect-worker': 'dist/src/sqlite/inspect-worker.js',
    'query-worker': 'dist/src/query/query-worker.js',
    'zstd-worker': 'dist/src/zstd/zstd-worker.js',
    'sink-worker': 'dist/src/zstd/sink-worker.js',
    'export-worker': 'dist/src/export/export-worker.js',
  },
  external: isExternal,
  platform: 'node',
  logLevel: 'warn',
  output: {
    dir: 'dist/bundle',
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    sourcemap: true,
  },
});
const chunks = result.output.filter((o) => o.type === 'chunk');
const bytes = chunks.reduce((sum, c) => sum + c.code.length, 0);
process.stdout.write(`bundle: dist/bundle, ${chunks.length} chunks, ${(bytes / 1024).toFixed(0)} KiB\n`);
