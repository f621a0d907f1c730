/**
 * How much `tickdb compress` writes of a compressed day before it fdatasyncs it: the .zst is written on the disk the
 * trading engine writes to, over about a minute, beside the engine's own fsyncs.
 *
 * The engine's own fsyncs (its WAL checkpoints) queue behind whatever data of ours is being flushed: the smaller
 * each flush, the shorter the worst queue. Measured on the 2-core test VM (virtio disk) with a writer
 * checkpointing on its insert path (3.5-5 ms per checkpoint alone): a job writing 70 MB in 8.7 MiB pieces, each
 * fdatasynced (up to 9.2 ms each), raised the writer's longest wait to 18.3 ms in one run of two; in 1 MiB pieces
 * (at most 1.6-3.9 ms each) it stayed within the writer-alone controls in both. In `tickdb compress` itself the
 * effect is lost in that VM's noise (docs/performance.md, "Seventh session"). The price: one fdatasync per MiB, a
 * few ms of a background job's time each. The backup copy (8 MiB, fs/copy-verified.ts, also used for a NAS) and
 * `decompress --sync` (32 MiB in the background) keep their coarser flushes: pacing them was not measured here, and
 * pacing decompression at 8 MiB once cost 14% of its time.
 */
export const SYNC_EVERY_BYTES = 1 << 20;
