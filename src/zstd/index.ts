/** The compression engine: framed, parallel zstd compress/decompress of whole files, and the seek table. */
export { compressFile, planFrames, DEFAULT_FRAME_BYTES, MAX_FRAME_BYTES } from './compress-file.js';
export type { CompressOptions, CompressResult, FramePlan, ZstdProgress } from './compress-file.js';
export { decompressFile } from './decompress-file.js';
export { decompressFileHere } from './decompress-here.js';
export type { DecompressOptions, DecompressResult } from './decompress-file.js';
export { readSeekTable } from './seek-table.js';
export type { SeekTable, SeekTableEntry } from './seek-table.js';
export { effectiveThreads } from './file-io.js';
export { MAX_LEVEL, MIN_LEVEL } from './engine.js';
