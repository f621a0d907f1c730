import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative, isAbsolute } from 'node:path';
import type { TierDirs } from './tiers.js';

/** The config field that places each tier path (the db tier is `root/db`). */
export const TIER_FIELDS = {
  db: 'root',
  backup: 'backupDir',
  archive: 'archiveDir',
  metricsFile: 'metricsFile',
} as const;
type TierName = keyof typeof TIER_FIELDS;

export interface TierOverlap {
  /** The tier inside (or equal to) the other one, its field and its resolved path. */
  inner: { tier: TierName; field: string; path: string };
  outer: { tier: TierName; field: string; path: string };
  equal: boolean;
}

/** The path with every existing part resolved through symlinks, so that a link into another tier counts as inside it. */
function physical(path: string): string {
  let head = path;
  const tail: string[] = [];
  while (!existsSync(head)) {
    const parent = dirname(head);
    if (parent === head) return path;
    tail.unshift(basename(head));
    head = parent;
  }
  try {
    return join(realpathSync(head), ...tail);
  } catch {
    return path;
  }
}

function inside(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The first pair of tier paths (db, backup, archive, metrics file) where one is equal to or inside another, if any.
 * Overlapping tiers make a tier's files look like another's (an archive inside db/ quarantines every day as a
 * duplicate; a backup tier equal to the archive tier mixes copies), so the configuration is refused.
 */
export function findTierOverlap(dirs: TierDirs): TierOverlap | undefined {
  const paths: [TierName, string][] = [
    ['db', dirs.db],
    ['backup', dirs.backup],
    ['archive', dirs.archive],
    ['metricsFile', dirs.metricsFile],
  ];
  const real = paths.map(([tier, p]) => [tier, p, physical(p)] as const);
  for (const [i, [a, aPath, aReal]] of real.entries()) {
    for (const [j, [b, bPath, bReal]] of real.entries()) {
      if (i === j) continue;
      const equal = aReal === bReal;
      if (equal && j < i) continue; // reported once, as (first, second)
      if (inside(aReal, bReal)) {
        return {
          inner: { tier: a, field: TIER_FIELDS[a], path: aPath },
          outer: { tier: b, field: TIER_FIELDS[b], path: bPath },
          equal,
        };
      }
    }
  }
  return undefined;
}
