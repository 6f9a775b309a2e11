import { createServer, request, type Server } from 'node:http';

/**
 * A pass-through HTTP proxy in front of the test S3 server that can hold GETs of matching paths
 * until released: it makes "the worker is in the middle of a job" an observable, deterministic state
 * (no sleeps). Headers pass unchanged, so SigV4 signatures (which cover the Host we present) stay valid.
 */
export async function startS3Gate(upstream: string) {
  const target = new URL(upstream);
  let hold: RegExp | undefined;
  const held: (() => void)[] = [];
  let heldCount = 0;
  const server: Server = createServer((req, res) => {
    const forward = () => {
      const up = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (req.method === 'GET' && hold?.test(req.url ?? '')) {
      heldCount++;
      held.push(forward);
      return;
    }
    forward();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return {
    endpoint: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    /** Start holding GETs whose path matches. */
    holdGets(pattern: RegExp) {
      hold = pattern;
    },
    /** How many requests have been held so far. */
    get heldCount() {
      return heldCount;
    },
    /** Stop holding and let held requests through (their clients may be gone). */
    release() {
      hold = undefined;
      for (const f of held.splice(0)) f();
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
