export interface QueuedWork {
  /** Same key = same work: a key already waiting is not queued twice. */
  key: string;
  run: () => Promise<void>;
}

/**
 * One queue for everything that touches the tree: work runs one item at a time, in order, so jobs never
 * overlap; a job whose slot comes while another runs waits its turn. A failing item is reported to `onError`
 * and the queue goes on.
 */
export class WorkQueue {
  private waiting: QueuedWork[] = [];
  private currentKey: string | undefined;
  private pumping: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly onError: (key: string, err: unknown) => void) {}

  /** Queues `run` unless the queue is closed or the same key is already waiting; returns whether it queued. */
  enqueue(key: string, run: () => Promise<void>): boolean {
    if (this.closed || this.waiting.some((w) => w.key === key)) return false;
    this.waiting.push({ key, run });
    this.pumping ??= this.pump();
    return true;
  }

  /** What runs now, if anything. */
  get running(): string | undefined {
    return this.currentKey;
  }

  get pending(): readonly string[] {
    return this.waiting.map((w) => w.key);
  }

  /** Resolves when nothing runs and nothing waits. */
  async idle(): Promise<void> {
    while (this.pumping !== undefined) await this.pumping;
  }

  /** Drops what waits, takes nothing more, and resolves when the item under way has finished. */
  async close(): Promise<void> {
    this.closed = true;
    this.waiting = [];
    await this.idle();
  }

  private async pump(): Promise<void> {
    try {
      for (let item = this.waiting.shift(); item !== undefined; item = this.waiting.shift()) {
        this.currentKey = item.key;
        try {
          await item.run();
        } catch (err) {
          this.onError(item.key, err);
        } finally {
          this.currentKey = undefined;
        }
      }
    } finally {
      this.pumping = undefined;
    }
  }
}
