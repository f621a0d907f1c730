/**
 * One error type for the whole agent. Every failure names what it was doing (`code`), the file or field it
 * concerns (`path`), and what an operator can do about it (`hint`). The CLI maps codes to exit statuses in one
 * place (`exitCodeFor`).
 */
export type ErrorCode =
  | 'USAGE' // bad command line
  | 'CONFIG' // invalid configuration (field named in `path`)
  | 'IO' // a filesystem operation failed
  | 'NO_SPACE' // ENOSPC / EDQUOT while writing
  | 'CORRUPT' // a database or .zst that does not verify
  | 'VERIFY' // a copy whose hash does not match its source
  | 'LOCKED' // the tree lock is held by another live process
  | 'BUSY' // a writer still holds a database
  | 'REFUSED' // a guard forbids the operation (purge limits, legal hold, overwrite)
  | 'NOT_FOUND'
  | 'REMOTE' // the S3 archive refused an operation (credentials, permission, object lock)
  | 'OFFLINE' // the S3 archive cannot be reached (after retries): a backlog, not a failure of the day
  | 'INTERNAL';

export interface TickdbErrorOptions {
  path?: string | undefined;
  hint?: string | undefined;
  cause?: unknown;
}

export class TickdbError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: TickdbErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TickdbError';
    this.code = code;
    this.path = options.path;
    this.hint = options.hint;
  }

  /** One line for an operator: message, file, hint. */
  describe(): string {
    let text = this.message;
    if (this.path !== undefined && !this.message.includes(this.path)) text += ` (${this.path})`;
    if (this.hint !== undefined) text += `; hint: ${this.hint}`;
    return text;
  }

  toJSON(): Record<string, string | undefined> {
    return { code: this.code, message: this.message, path: this.path, hint: this.hint };
  }
}

export function isTickdbError(err: unknown): err is TickdbError {
  return err instanceof TickdbError;
}

/** Exit status of a one-shot command for an error: 2 for usage or configuration, 1 for everything else. */
export function exitCodeFor(err: unknown): 1 | 2 {
  if (isTickdbError(err) && (err.code === 'USAGE' || err.code === 'CONFIG')) return 2;
  return 1;
}

/** The errno code of a Node system error, if any. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Wraps a Node filesystem error into a TickdbError naming the operation and the path. */
export function ioError(op: string, path: string, err: unknown, hint?: string): TickdbError {
  if (isTickdbError(err)) return err;
  const errno = errnoOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new TickdbError('NO_SPACE', `${op} failed: no space left on device: ${path}`, {
      path,
      hint: hint ?? 'free space on that filesystem; the source was kept and the step will be retried',
      cause: err,
    });
  }
  return new TickdbError('IO', `${op} failed for ${path}: ${detail}`, {
    path,
    hint:
      hint ?? (errno === 'EACCES' || errno === 'EPERM' ? 'check ownership and permissions of that path' : undefined),
    cause: err,
  });
}

/** One line for any thrown value. */
export function describeError(err: unknown): string {
  if (isTickdbError(err)) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
