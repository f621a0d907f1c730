import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sep } from 'node:path';

/**
 * The URL of a compiled worker script next to the calling module. When the caller runs from TypeScript sources
 * (the test runner), the worker is taken from the compiled tree in dist/, which `npm test` builds first.
 */
export function workerUrl(fileName: string, callerUrl: string): URL {
  const url = new URL(`./${fileName}`, callerUrl);
  const path = fileURLToPath(url);
  if (existsSync(path)) return url;
  const marker = `${sep}src${sep}`;
  const at = path.lastIndexOf(marker);
  if (at >= 0) {
    const compiled = `${path.slice(0, at)}${sep}dist${path.slice(at)}`;
    if (existsSync(compiled)) return pathToFileURL(compiled);
  }
  return url;
}
