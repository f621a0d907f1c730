import { posix } from 'node:path';
import { TickdbError } from '../errors.js';
import { rejectControlChars } from './options.js';

/** Characters that a unit file word can carry without quotes. */
const BARE = /^[A-Za-z0-9_@%+=:,./$-]+$/;

function quoteIfNeeded(escaped: string, original: string): string {
  return BARE.test(original) ? escaped : `"${escaped}"`;
}

/**
 * One word of `ExecStart=`: `%` (specifiers) doubles to `%%`, `$` (environment substitution) to `$$`, `\` and `"`
 * are backslash-escaped, and the word is double-quoted when it holds anything else than plain path characters
 * (spaces, quotes, `;`...). See systemd.service(5), "Command lines".
 */
export function execWord(word: string): string {
  rejectControlChars('a command-line word', word);
  const escaped = word.replace(/[\\"%$]/g, (c) => (c === '%' ? '%%' : c === '$' ? '$$' : `\\${c}`));
  return quoteIfNeeded(escaped, word);
}

/**
 * The executable of `ExecStart=` (its first word): systemd expands specifiers there (`%%`) but not environment
 * variables (`$` stays), and refuses quotes and backslashes in it, so such a path is a usage error here.
 */
export function execPathWord(path: string): string {
  rejectControlChars('the executable path', path);
  if (/["'\\]/.test(path)) {
    throw new TickdbError(
      'USAGE',
      `systemd cannot run an executable whose path holds a quote or a backslash: ${path}`,
      {
        hint: 'install node (or link it) at a path without quotes and backslashes, and give it with --node',
      },
    );
  }
  return quoteIfNeeded(path.replace(/%/g, '%%'), path);
}

/**
 * One path of a path-list setting such as `ReadWritePaths=`: specifiers are expanded there (`%%`), environment
 * variables are not (`$` stays), quoting and backslash escapes work as in command lines.
 */
export function pathWord(path: string): string {
  rejectControlChars('a path', path);
  const escaped = path.replace(/[\\"%]/g, (c) => (c === '%' ? '%%' : `\\${c}`));
  return quoteIfNeeded(escaped, path);
}

/** An absolute, normalized POSIX path, or a usage error naming the option. */
export function absolutePosixPath(field: string, path: string): string {
  rejectControlChars(field, path);
  if (!posix.isAbsolute(path)) {
    throw new TickdbError('USAGE', `${field} must be an absolute path for a systemd unit, got "${path}"`, {
      hint: 'give an absolute path such as /var/lib/tickdb/ticks',
    });
  }
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}
