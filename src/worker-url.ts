import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker script `fileName` (named as compiled: `inspect-worker.js`) that sits next to the calling module.
 * From the compiled tree (the CLI runs the bundle) that is the `.js` file. From TypeScript sources (the in-process
 * test tier runs without a build) it is the `.ts` source, loaded through tsx's loader, a dev dependency that the
 * compiled CLI never reaches.
 */
export function startWorker(fileName: string, callerUrl: string, options: WorkerOptions): Worker {
  const url = new URL(`./${fileName}`, callerUrl);
  const source = new URL(`./${fileName.replace(/\.js$/, '.ts')}`, callerUrl);
  if (existsSync(fileURLToPath(url)) || !existsSync(fileURLToPath(source))) return new Worker(url, options);
  // tsx's ESM entry (its CommonJS one cannot register the loader from an eval'd worker on Node 20).
  const tsxPackage = createRequire(callerUrl).resolve('tsx/package.json');
  const tsxApi = pathToFileURL(join(dirname(tsxPackage), 'dist', 'esm', 'api', 'index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
