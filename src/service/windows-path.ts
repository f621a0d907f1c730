import { win32 } from 'node:path';
import { TickdbError } from '../errors.js';
import { rejectControlChars } from './options.js';

/** Where tickdb keeps its files on Windows when the operator says nothing: `%ProgramData%\tickdb`. */
export function windowsHome(env: NodeJS.ProcessEnv = process.env): string {
  const programData = env.ProgramData ?? env.PROGRAMDATA;
  return win32.join(programData === undefined || programData === '' ? 'C:\\ProgramData' : programData, 'tickdb');
}

/** The default data root of the Windows service: `%ProgramData%\tickdb\data\ticks`. */
export function windowsDefaultRoot(env: NodeJS.ProcessEnv = process.env): string {
  return win32.join(windowsHome(env), 'data', 'ticks');
}

/**
 * An absolute Windows path (`C:\...` or `\\server\share\...`), normalized (forward slashes become backslashes,
 * no trailing separator except a drive root), or a usage error naming the option.
 */
export function absoluteWindowsPath(field: string, path: string): string {
  rejectControlChars(field, path);
  // `C:foo` is relative to the drive's current directory and `\foo` to the current drive: neither is fit for a service.
  if (!/^(?:[A-Za-z]:[\\/]|[\\/]{2}[^\\/])/.test(path)) {
    throw new TickdbError('USAGE', `${field} must be an absolute Windows path, got "${path}"`, {
      hint: 'give a path such as C:\\ProgramData\\tickdb\\data\\ticks or \\\\server\\share\\ticks',
    });
  }
  const normalized = win32.normalize(path);
  return /^[A-Za-z]:\\$/.test(normalized) || !normalized.endsWith('\\') ? normalized : normalized.slice(0, -1);
}

/**
 * Quotes one argument for a Windows command line, as the C runtime (and so node.exe) splits it: wrapped in double
 * quotes when it holds a space, a tab or a quote; backslashes are doubled only before a quote or the closing quote.
 */
export function windowsArg(arg: string): string {
  if (arg !== '' && !/[ \t"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const c of arg) {
    if (c === '\\') {
      backslashes++;
      continue;
    }
    if (c === '"') {
      out += `${'\\'.repeat(backslashes * 2 + 1)}"`;
    } else {
      out += '\\'.repeat(backslashes) + c;
    }
    backslashes = 0;
  }
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}
