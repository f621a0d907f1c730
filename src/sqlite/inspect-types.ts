/** What a worker is asked to do with a database file. */
export interface InspectRequest {
  op: 'seal' | 'inspect';
  path: string;
  table: string;
  timestampColumn: string;
  /** How long the seal waits for another connection's lock before calling the day busy. */
  busyTimeoutMs: number;
  /** Most integrity problems to report. */
  maxProblems: number;
}

export type InspectResult =
  | {
      status: 'ok';
      sha256: string;
      bytes: number;
      rows: number;
      minTs: string | null;
      maxTs: string | null;
      /** Size of the -wal that the checkpoint folded into the database (seal only): rows a writer left there. */
      walBytesFolded: number;
    }
  /** A writer still holds the database: not a failure, retried at the next run. */
  | { status: 'busy'; detail: string }
  /** The file is damaged or is not a database: quarantine it. */
  | { status: 'corrupt'; problems: string[] }
  | { status: 'error'; message: string; code: string };
