import { createServer } from 'node:net';

/**
 * A TCP port free on 127.0.0.1 at the moment of asking, outside 6800-7300 (the ports a Ceph OSD binds itself):
 * for the throwaway RGW of the tests and of `npm run bench`.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
      });
    });
    if (port > 0 && (port < 6800 || port > 7300)) return port;
  }
}
