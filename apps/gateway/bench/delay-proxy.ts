import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP relay that delays every byte by `delayMs` in each direction (a delay line with order kept),
 * used for the constrained-link benchmark where the kernel has no netem: the rate is shaped by tc
 * tbf on the veth, the latency here. `cut()` drops every connection and refuses new ones for a
 * while (a line drop); `bytesUp` counts client → server bytes (what the gateway put on the wire).
 */
export async function startDelayProxy(listen: { host: string; port: number }, target: { host: string; port: number }, delayMs: number) {
  const sockets = new Set<Socket>();
  let refuseUntil = 0;
  let bytesUp = 0;
  const line = (from: Socket, to: Socket, count: boolean) => {
    const queue: { at: number; buf: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const now = Date.now();
      while (queue.length && queue[0]!.at <= now) to.write(queue.shift()!.buf);
      if (queue.length) timer = setTimeout(flush, Math.max(1, queue[0]!.at - now));
    };
    from.on('data', (buf: Buffer) => {
      if (count) bytesUp += buf.length;
      queue.push({ at: Date.now() + delayMs, buf });
      timer ??= setTimeout(flush, delayMs);
    });
    from.on('end', () => setTimeout(() => to.end(), delayMs));
  };
  const server = createServer((client) => {
    if (Date.now() < refuseUntil) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    line(client, upstream, true);
    line(upstream, client, false);
  });
  await new Promise<void>((resolve) => server.listen(listen.port, listen.host, () => resolve()));
  const a = server.address();
  return {
    port: typeof a === 'object' && a ? a.port : listen.port,
    bytesUp: () => bytesUp,
    cut(refuseMs: number) {
      refuseUntil = Date.now() + refuseMs;
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
