import { unlink } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import { TickdbError } from '../errors.js';
import type { Day } from '../layout/day.js';
import { startWorker } from '../worker-url.js';
import type { DayTask, SqlValue, TaskError, WorkerMessage } from './query-types.js';
import { runDay, toTaskError } from './run-day.js';

/** A day to run, with the memory it may take while it runs (see memory-budget.ts). */
export interface DayJob {
  task: Omit<DayTask, 'credits'>;
  memoryBytes: number;
  /** Needs neither decompression nor hashing (read in place, or a verified cache entry): may run on the main thread. */
  local: boolean;
}

/** Where the rows go, in day order: `rows` resolves once the batch is written (backpressure reaches the workers). */
export interface DayOutput {
  columns(day: Day, names: string[]): Promise<void>;
  rows(day: Day, rows: SqlValue[][]): Promise<void>;
  done(day: Day, info: DayOutcome): void;
  failed(day: Day, error: TaskError): void;
}

/** A day done: its rows, how its database was obtained, its time, and the thread it ran on. */
export interface DayOutcome {
  rows: number;
  via: string;
  ms: number;
  thread: 'main' | 'worker';
}

export interface PoolOptions {
  workers: number;
  memoryBudget: number;
  /** Batches a day may have posted and not yet written. */
  creditsPerDay: number;
  /**
   * What starting the workers costs, in ms. When every day is local, the days run on the main thread, in order,
   * as long as the rest would take less than twice this at the pace so far; then the workers take the rest. 0: the
   * workers take every day.
   */
  workerStartMs: number;
}

interface DayState {
  job: DayJob;
  credits: Int32Array<SharedArrayBuffer>;
  started: boolean;
  finished: boolean;
  columns: string[] | undefined;
  batches: SqlValue[][][];
  /** A day on the main thread waiting for a credit: called when the output returns one (or the run stops). */
  wake: (() => void) | undefined;
}

/** Thrown into a day on the main thread when the run stops, to end its statement. */
class Stopped extends Error {}

/**
 * Runs days on worker threads, at most `workers` at once and within `memoryBudget`, and hands their rows to
 * `output` in day order: the earliest unfinished day streams, later days wait in their workers (credits) once they
 * have a few batches ready. A USAGE error from any day (the statement does not fit its database) stops the run.
 *
 * A query whose days are all local (cached or read in place) starts on the main thread instead: starting a worker
 * thread costs more (Node's bootstrap and the modules, about 100 ms of CPU on this VM) than an indexed query over
 * 30 days. Workers take over the remaining days once the pace so far says they would pay for their start.
 */
export class QueryPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, DayState>();
  private readonly states: DayState[] = [];
  private next = 0;
  private head = 0;
  private memoryInUse = 0;
  private pumping = false;
  private again = false;
  private settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  private stopped = false;
  /** The day running on the main thread. */
  private here: DayState | undefined;

  constructor(
    private readonly opts: PoolOptions,
    private readonly output: DayOutput,
  ) {}

  run(jobs: readonly DayJob[]): Promise<void> {
    for (const job of jobs) {
      this.states.push({
        job,
        credits: new Int32Array(new SharedArrayBuffer(4)),
        started: false,
        finished: false,
        columns: undefined,
        batches: [],
        wake: undefined,
      });
    }
    return new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
      if (this.opts.workerStartMs > 0 && jobs.every((j) => j.local)) void this.runHere();
      else this.schedule();
      this.kick();
    });
  }

  /** Runs local days on the main thread, in order, until the workers would finish the rest sooner (see the class). */
  private async runHere(): Promise<void> {
    const started = performance.now();
    let ran = 0;
    while (!this.stopped && this.next < this.states.length) {
      const left = this.states.length - this.next;
      const perDay = (performance.now() - started) / Math.max(1, ran);
      if (ran > 0 && left >= 2 && perDay * left > 2 * this.opts.workerStartMs) {
        this.schedule();
        return;
      }
      const st = this.states[this.next++];
      if (st === undefined) return;
      st.started = true;
      this.here = st;
      Atomics.store(st.credits, 0, this.opts.creditsPerDay);
      try {
        await runDay(st.job.task, { post: (m) => this.onDayMessage(st, m), credit: () => this.creditHere(st) });
      } catch (err) {
        if (this.stopped) return;
        this.onDayMessage(st, { type: 'error', day: st.job.task.source.day, error: toTaskError(err) });
      } finally {
        this.here = undefined;
      }
      ran++;
    }
  }

  private creditHere(st: DayState): void | Promise<void> {
    if (this.stopped) throw new Stopped('query stopped');
    if (Atomics.load(st.credits, 0) > 0) {
      Atomics.sub(st.credits, 0, 1);
      return;
    }
    return new Promise<void>((resolve) => {
      st.wake = resolve;
    }).then(() => this.creditHere(st));
  }

  /** Stops every worker at once (Ctrl-C); the `.tmp` of a day being decompressed is removed. Resolves when done. */
  async abort(reason: unknown): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const running = [...this.busy.entries()];
    const here = this.here;
    here?.wake?.();
    await Promise.all([...running.map(([w]) => w.terminate()), ...this.idle.map((w) => w.terminate())]);
    for (const st of [...running.map(([, st]) => st), ...(here === undefined ? [] : [here])]) {
      const how = st.job.task.how;
      if ('tmpPath' in how) {
        for (const f of [how.tmpPath, `${how.tmpPath}.zst`]) await unlink(f).catch(() => undefined);
      }
    }
    this.settle?.reject(reason);
  }

  private schedule(): void {
    while (!this.stopped && this.next < this.states.length) {
      const st = this.states[this.next];
      if (st === undefined) return;
      const need = st.job.memoryBytes;
      if (need > this.opts.memoryBudget) {
        this.next++;
        st.started = true;
        this.finish(st, {
          code: 'REFUSED',
          message: `${st.job.task.source.day} needs about ${Math.ceil(need / 2 ** 20)} MiB, more than the memory budget of ${Math.floor(this.opts.memoryBudget / 2 ** 20)} MiB`,
          hint: 'raise --memory, or give the query cache room for the day (queryCache.maxBytes)',
        });
        continue;
      }
      if (this.busy.size >= this.opts.workers) return;
      if (this.busy.size > 0 && this.memoryInUse + need > this.opts.memoryBudget) return;
      this.next++;
      this.start(st);
    }
  }

  private start(st: DayState): void {
    st.started = true;
    this.memoryInUse += st.job.memoryBytes;
    Atomics.store(st.credits, 0, this.opts.creditsPerDay);
    const worker = this.idle.pop() ?? this.spawn();
    this.busy.set(worker, st);
    worker.postMessage({ ...st.job.task, credits: st.credits.buffer } satisfies DayTask);
  }

  private spawn(): Worker {
    const worker = startWorker('query-worker.js', import.meta.url, {});
    worker.on('message', (m: WorkerMessage) => this.onMessage(worker, m));
    worker.on('error', (err) => this.onCrash(worker, `query worker failed: ${err.message}`));
    worker.on('exit', (code) => this.onCrash(worker, `query worker exited with ${code}`));
    return worker;
  }

  private onCrash(worker: Worker, message: string): void {
    const st = this.busy.get(worker);
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    if (st === undefined || this.stopped) return;
    this.release(worker, st, false);
    this.finish(st, { code: 'INTERNAL', message });
  }

  private onMessage(worker: Worker, m: WorkerMessage): void {
    const st = this.busy.get(worker);
    if (st !== undefined) this.onDayMessage(st, m, worker);
  }

  private onDayMessage(st: DayState, m: WorkerMessage, worker?: Worker): void {
    if (m.type === 'columns') st.columns = m.names;
    else if (m.type === 'rows') st.batches.push(m.rows);
    else {
      if (worker !== undefined) this.release(worker, st, true);
      if (m.type === 'error' && m.error.code === 'USAGE') {
        void this.abort(new TickdbError('USAGE', `${m.day}: ${m.error.message}`, { hint: m.error.hint }));
        return;
      }
      this.finish(
        st,
        m.type === 'error'
          ? m.error
          : { rows: m.rows, via: m.via, ms: m.ms, thread: worker === undefined ? 'main' : 'worker' },
      );
    }
    this.kick();
  }

  private release(worker: Worker, st: DayState, reusable: boolean): void {
    this.busy.delete(worker);
    this.memoryInUse -= st.job.memoryBytes;
    if (reusable) this.idle.push(worker);
    this.schedule();
  }

  private readonly outcomes = new Map<DayState, TaskError | DayOutcome>();

  private finish(st: DayState, outcome: TaskError | DayOutcome): void {
    st.finished = true;
    this.outcomes.set(st, outcome);
    this.kick();
  }

  /**
   * Asks for a pump; one runs at a time and runs again while it was asked meanwhile. The flag is cleared with no
   * await between the last check and the end, so a kick is never lost.
   */
  private kick(): void {
    this.again = true;
    if (this.pumping) return;
    this.pumping = true;
    void this.pump()
      .catch((err: unknown) => this.abort(err))
      .finally(() => {
        this.pumping = false;
        if (this.again && !this.stopped) this.kick();
      });
  }

  /** Writes out whatever the earliest unfinished day has ready, moving on to the next day when it is done. */
  private async pump(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      for (let st = this.states[this.head]; st?.started === true && !this.stopped; st = this.states[this.head]) {
        const day = st.job.task.source.day;
        if (st.columns !== undefined) {
          const names = st.columns;
          st.columns = undefined;
          await this.output.columns(day, names);
        }
        for (let batch = st.batches.shift(); batch !== undefined; batch = st.batches.shift()) {
          await this.output.rows(day, batch);
          Atomics.add(st.credits, 0, 1);
          Atomics.notify(st.credits, 0);
          const wake = st.wake;
          st.wake = undefined;
          wake?.();
        }
        if (!st.finished) break;
        const outcome = this.outcomes.get(st);
        if (outcome !== undefined && 'code' in outcome) this.output.failed(day, outcome);
        else if (outcome !== undefined) this.output.done(day, outcome);
        this.head++;
      }
    }
    if (this.head >= this.states.length && !this.stopped) {
      this.stopped = true;
      await Promise.all(this.idle.map((w) => w.terminate()));
      this.settle?.resolve();
    }
  }
}
