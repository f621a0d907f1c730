/**
 * How much a background job writes before it fdatasyncs, when it writes a large file (a backup copy, a compressed
 * day) on the disk the trading engine writes to.
 *
 * The engine's own fsyncs (its WAL checkpoints) queue behind whatever data of ours is in flight. Measured on the
 * 2-core test VM (virtio disk, mq-deadline) with a writer checkpointing on its insert path, ~4-5 ms per checkpoint
 * alone: a job writing 70 MB in 8.7 MiB pieces, each fdatasynced (up to 9 ms each), raised the writer's longest
 * wait to 18.3 ms in one run of two; in 1 MiB pieces (at most 1.6-3.9 ms each) it stayed within the writer-alone
 * control (4.3 and 4.9 ms) in both. `tickdb compress` wrote a frame (8.7 MiB) per fdatasync and raised it to
 * 7.6-27.8 ms in six runs of six (docs/performance.md, "Seventh session"). The price is more, smaller flushes:
 * about one per MiB, a few ms of a background job's time each.
 */
export const SYNC_EVERY_BYTES = 1 << 20;
