import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback HTTP/1.1 proxy (byte-level, keep-alive aware) that flips one byte in the body of the
 * first `count` PATCH requests it forwards — a chunk damaged in transit that TCP did not catch.
 */
export async function startCorruptingProxy(target: { host: string; port: number }, count = 1): Promise<{ url: string; flipped(): number; close(): Promise<void> }> {
  let flipped = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => {});
    upstream.on('error', () => {});
    upstream.pipe(client);
    // Request parser state for client → server bytes.
    let head = Buffer.alloc(0);
    let bodyLeft = 0;
    let flipAt = -1;
    client.on('data', (chunk: Buffer) => {
      let buf = chunk;
      const out: Buffer[] = [];
      while (buf.length) {
        if (bodyLeft > 0) {
          const n = Math.min(bodyLeft, buf.length);
          const piece = Buffer.from(buf.subarray(0, n));
          if (flipAt >= 0 && flipAt < n) {
            piece[flipAt] = piece[flipAt]! ^ 0xff;
            flipAt = -1;
          } else if (flipAt >= 0) flipAt -= n;
          out.push(piece);
          bodyLeft -= n;
          buf = buf.subarray(n);
          continue;
        }
        head = Buffer.concat([head, buf]);
        buf = Buffer.alloc(0);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) break;
        const headers = head.subarray(0, end + 4);
        const rest = head.subarray(end + 4);
        head = Buffer.alloc(0);
        out.push(headers);
        const text = headers.toString('latin1');
        bodyLeft = Number(/\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1] ?? 0);
        if (text.startsWith('PATCH ') && flipped < count && bodyLeft > 0) {
          flipped += 1;
          flipAt = Math.floor(bodyLeft / 2);
        }
        buf = rest;
      }
      if (out.length) upstream.write(Buffer.concat(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    flipped: () => flipped,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
