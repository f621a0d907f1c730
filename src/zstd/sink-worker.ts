/**
 * The sink of a decompression (worker thread): hashes the decoded content in order as the frame workers hand it
 * over, and writes it to the output file, so that neither runs on the main thread. Each piece is hashed and written
 * in 256 KiB slices, each while it is still in the CPU's cache: the hash reads it from memory once and the copy into
 * the page cache finds it in cache (measured on the 214 MiB day: the kernel's copy fell from 12% to 2% of the CPU).
 * With `syncEveryBytes` it also fdatasyncs the output as it goes (paced flushing: see SYNC_EVERY_BYTES).
 */
import { createHash } from 'node:crypto';
import { fdatasyncSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { errnoOf } from '../errors.js';
import type { SinkMessage, SinkReply, SinkSetup } from './sink.js';

const SLICE_BYTES = 256 * 1024;

const setup = workerData as SinkSetup;
const port = parentPort;
if (port === null) throw new Error('sink-worker.js runs as a worker thread only');
const hash = createHash('sha256');
let written = 0;
let unsynced = 0;

function reply(message: SinkReply): void {
  port?.postMessage(message);
}

port.on('message', (msg: SinkMessage) => {
  if (msg.type === 'digest') {
    reply({ type: 'digest', sha256: hash.digest('hex'), bytes: written });
    return;
  }
  const data = Buffer.from(msg.buffer, 0, msg.bytes);
  let op: 'write' | 'fsync' = 'write';
  try {
    for (let at = 0; at < data.length; at += SLICE_BYTES) {
      const slice = data.subarray(at, at + SLICE_BYTES);
      hash.update(slice);
      if (setup.fd !== null) {
        op = 'write';
        for (let done = 0; done < slice.length; )
          done += writeSync(setup.fd, slice, done, slice.length - done, written + at + done);
        unsynced += slice.length;
        if (setup.syncEveryBytes !== undefined && unsynced >= setup.syncEveryBytes) {
          op = 'fsync';
          fdatasyncSync(setup.fd);
          unsynced = 0;
        }
      }
    }
  } catch (err) {
    reply({ type: 'failed', op, message: err instanceof Error ? err.message : String(err), code: errnoOf(err) });
    return;
  }
  written += data.length;
  reply({ type: 'consumed' });
});
