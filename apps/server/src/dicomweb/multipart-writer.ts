import { Readable } from 'node:stream';

/** One part of a multipart/related response: headers plus a way to open its body lazily. */
export interface OutPart {
  contentType: string;
  /** Exact body length when known (lets the whole response carry Content-Length). */
  length?: number;
  /** Content-Location of the part (PS3.18 §8.6.1.2): which resource the part represents. */
  location?: string;
  open(): Promise<Readable> | Readable;
}

const CRLF = '\r\n';

function partHead(boundary: string, p: OutPart, first: boolean): string {
  const location = p.location ? `Content-Location: ${p.location}${CRLF}` : '';
  return `${first ? '' : CRLF}--${boundary}${CRLF}Content-Type: ${p.contentType}${CRLF}${location}${p.length !== undefined ? `Content-Length: ${p.length}${CRLF}` : ''}${CRLF}`;
}

/** Byte length of the whole multipart body, or undefined if any part's length is unknown. */
export function multipartLength(boundary: string, parts: OutPart[]): number | undefined {
  let total = 0;
  for (const [i, p] of parts.entries()) {
    if (p.length === undefined) return undefined;
    total += Buffer.byteLength(partHead(boundary, p, i === 0)) + p.length;
  }
  return total + Buffer.byteLength(`${CRLF}--${boundary}--${CRLF}`);
}

/**
 * Streams a multipart/related body (RFC 2387, PS3.18 §8.7.3.2) with backpressure: one part's
 * bytes are piped at a time, so memory stays constant whatever the number and size of parts. The
 * next part is opened while the current one streams, hiding the object store's first-byte latency.
 */
export function multipartStream(boundary: string, parts: OutPart[]): Readable {
  async function* generate() {
    let next: Promise<Readable> | undefined = parts[0] ? Promise.resolve(parts[0].open()) : undefined;
    try {
      for (let i = 0; i < parts.length; i++) {
        const body = await next!;
        next = parts[i + 1] ? Promise.resolve(parts[i + 1]!.open()) : undefined;
        // An opened-but-abandoned prefetch must not leak a socket or an unhandled rejection.
        next?.catch(() => undefined);
        yield Buffer.from(partHead(boundary, parts[i]!, i === 0));
        for await (const chunk of body) yield chunk as Buffer;
      }
      yield Buffer.from(`${CRLF}--${boundary}--${CRLF}`);
    } finally {
      if (next) void next.then((s) => s.destroy(), () => undefined);
    }
  }
  return Readable.from(generate(), { objectMode: false });
}
