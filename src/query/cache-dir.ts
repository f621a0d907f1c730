import { homedir, tmpdir, userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * The query cache's folder when `queryCache.dir` is not set: the user's cache folder (`$XDG_CACHE_HOME/tickdb/query`,
 * else `~/.cache/tickdb/query`), so that it survives a reboot and is private to the user; without a home folder (a
 * service account), `$TMPDIR/tickdb-query-UID`.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'tickdb', 'query');
  const home = env.HOME ?? homedir();
  if (home !== '' && home !== '/') return join(home, '.cache', 'tickdb', 'query');
  return join(tmpdir(), `tickdb-query-${userInfo().uid}`);
}

/** The configured folder (relative to the root, like the tiers) or the default. */
export function cacheDirFor(configured: string | undefined, root: string): string {
  return configured === undefined ? defaultCacheDir() : resolve(root, configured);
}
