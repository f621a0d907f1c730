/** Messages between the frame pool (frame-pool.ts, main thread) and its workers (zstd-worker.ts). */

export interface WorkerSetup {
  mode: 'compress' | 'decompress';
  /** The input file, opened by the main thread; workers read their frames from it with pread. */
  fd: number;
  /** zstd level (compression only). */
  level: number;
  /** Compression: most input bytes per frame. Decompression: most output bytes handed over at once. */
  slotBytes: number;
}

/** Sent once by each worker: its buffers, shared with the main thread and reused for every frame. */
export interface WorkerReady {
  type: 'ready';
  /** Compression: the frame just made. Decompression: the content just decoded. */
  output: SharedArrayBuffer;
  /** Compression: the input of the frame just made (the main thread hashes it). Decompression: unused. */
  input: SharedArrayBuffer;
  /**
   * Int32 [0]: set to 1 by the main thread when it has consumed a partial output (a frame larger than the output
   * buffer is decoded in several pieces; the worker waits on it between pieces).
   */
  control: SharedArrayBuffer;
}

export interface FrameJob {
  /** 0-based, consecutive: outputs are consumed in this order. */
  index: number;
  offset: number;
  length: number;
}

export interface FrameOutput {
  type: 'output';
  index: number;
  /** Bytes of `output` filled. */
  bytes: number;
  /** Compression: input bytes read for the frame (shorter than asked when the file shrank). */
  inputBytes: number;
  /** False for a piece of a frame larger than the output buffer: more follows once the main thread releases it. */
  last: boolean;
}

export interface FrameFailure {
  type: 'failure';
  index: number;
  stage: 'read' | 'zstd' | 'truncated' | 'trailing';
  message: string;
  /** errno code of a read error. */
  code: string | undefined;
}

export type WorkerMessage = WorkerReady | FrameOutput | FrameFailure;
