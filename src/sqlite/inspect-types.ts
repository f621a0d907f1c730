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
  /**
   * From this size (the file and its -wal), the row stats are read by a second worker beside integrity_check;
   * below it, after, on this worker: starting a worker costs about 75 ms, a scan of 64 MiB about 0.12 s.
   */
  statsBesideFromBytes: number;
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
