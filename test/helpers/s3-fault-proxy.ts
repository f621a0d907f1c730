import { type IncomingMessage, type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the proxy does to a request a rule matches: answer 503 (SlowDown), drop the connection unanswered, read
 * the request and never answer (the client's timeout must end it), or pass it on and flip the first byte of the
 * server's answer (bytes damaged on the way back, which only the client's own check can see).
 */
export type FaultAction = '503' | 'drop' | 'stall' | 'corrupt';

export interface FaultRule {
  /** e.g. `(r) => r.method === 'PUT' && r.url.includes('ticks_2026')` */
  match: (r: { method: string; url: string }) => boolean;
  action: FaultAction;
  /** How many matching requests get the fault (then they pass); Infinity: all of them. */
  times: number;
}

export interface Seen {
  method: string;
  url: string;
  /** The status the client got: the server's, the proxy's 503, 'dropped', or 'stalled' (no answer). */
  outcome: number | 'dropped' | 'stalled';
  /** The request's Content-MD5 header, if it had one. */
  contentMd5?: string;
}

/**
 * A plain HTTP proxy in front of the real RGW, in the test's own process: requests pass through byte for byte
 * (SigV4 signs the Host the client saw, which the proxy keeps), except those a rule matches, which get the rule's
 * fault. Spawn the CLI asynchronously while it runs (a spawnSync would block the proxy's event loop).
 */
export class FaultProxy {
  readonly seen: Seen[] = [];
  private rules: FaultRule[] = [];

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(upstream: string): Promise<FaultProxy> {
    const up = new URL(upstream);
    let proxy: FaultProxy | undefined;
    const server = createServer((req, res) => proxy?.handle(req, res, up));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    proxy = new FaultProxy(server, `http://127.0.0.1:${port}`);
    return proxy;
  }

  /** Replaces the rules (an empty list: everything passes). */
  set(rules: FaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r }));
  }

  count(pred: (s: Seen) => boolean): number {
    return this.seen.filter(pred).length;
  }

  private handle(req: IncomingMessage, res: import('node:http').ServerResponse, up: URL): void {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const rule = this.rules.find((r) => r.times > 0 && r.match({ method, url }));
    const md5 = req.headers['content-md5'];
    const contentMd5 = typeof md5 === 'string' ? { contentMd5: md5 } : {};
    if (rule !== undefined && rule.action !== 'corrupt') {
      rule.times -= 1;
      if (rule.action === 'drop') {
        this.seen.push({ method, url, outcome: 'dropped' });
        req.socket.destroy();
        return;
      }
      // Read the body first: answering before it is sent would look like a lost connection to the client.
      req.resume();
      if (rule.action === 'stall') {
        this.seen.push({ method, url, outcome: 'stalled' });
        return;
      }
      req.on('end', () => {
        this.seen.push({ method, url, outcome: 503 });
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>injected by the test proxy</Message></Error>',
        );
      });
      return;
    }
    const headers = { ...req.headers };
    delete headers.expect; // not signed; the proxy streams the body at once
    if (rule !== undefined) rule.times -= 1;
    const flip = rule?.action === 'corrupt';
    const fwd = request({ host: up.hostname, port: up.port, method, path: url, headers }, (ur) => {
      this.seen.push({ method, url, outcome: ur.statusCode ?? 0, ...contentMd5 });
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      let first = flip;
      ur.on('data', (chunk: Buffer) => {
        if (first && chunk.length > 0) {
          chunk[0] = (chunk[0] ?? 0) ^ 0xff;
          first = false;
        }
        res.write(chunk);
      });
      ur.on('end', () => res.end());
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
