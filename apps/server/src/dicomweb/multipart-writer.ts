import type { OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { BufferPool } from '../lib/buffer-pool';

/** One part of a multipart/related response: headers plus a way to open its body lazily. */
export interface OutPart {
  contentType: string;
  /** Exact body length when known (lets the whole response carry Content-Length). */
  length?: number;
  /** Content-Location of the part (PS3.18 §8.6.1.2): which resource the part represents. */
  location?: string;
  open(): Promise<Readable> | Readable;
  /**
   * Reads the whole body (exactly `length` bytes) into `target`; returns the bytes read. Lets
   * {@link writeMultipart} send a small part from a pooled buffer in one write instead of a stream.
   */
  readInto?(target: Buffer): Promise<number>;
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

/** Parts up to this size are read whole into a pooled buffer by {@link writeMultipart}. */
const POOLED_PART_BYTES = 1024 * 1024;
/**
 * Pooled parts read ahead of the one being written, per response. Streamed parts (large objects,
 * renders, on-the-fly transcodes: each may hold a whole transcoded instance in memory) are opened
 * one ahead only, while the part before them is sent.
 */
const READ_AHEAD = 4;
/** 64 pooled MiB: READ_AHEAD + a couple in the socket per response, for ~10 concurrent series. */
const sharedPool = new BufferPool(POOLED_PART_BYTES, 64);

/** The part of http.ServerResponse / Http2ServerResponse that writeMultipart needs. */
interface ResponseSink {
  write(chunk: Buffer | string, cb?: (err?: Error | null) => void): boolean;
  end(cb?: () => void): unknown;
  cork?(): void;
  uncork?(): void;
  readonly destroyed: boolean;
  readonly writableNeedDrain: boolean;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

type Loaded = { buf: Buffer; n: number } | { stream: Readable };

/** Resolves on 'drain', or on 'close' when the client went away (the caller then checks destroyed). */
function drained(out: ResponseSink): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}

class ClientGone extends Error {
  constructor() {
    super('client closed the connection');
  }
}

/**
 * Writes a multipart/related body (RFC 2387, PS3.18 §8.7.3.2) straight to the response, with
 * backpressure, so memory stays bounded whatever the number and size of parts (without a
 * boundary: the one part's body alone). Small parts (known length up to POOLED_PART_BYTES, with
 * `readInto`) are read whole into pooled buffers, several ahead of the socket, and written as one
 * chunk each; the buffer returns to the pool when the socket has taken it (the write callback). A
 * 300-slice CT series is then 300 reads and 300 writes instead of ~2,400 stream chunks, and
 * allocates nothing. Other parts are piped, the next one opened while the current one is sent.
 * Resolves when the body is complete; rejects (leaving the caller to destroy the response) when a
 * part cannot be read or is shorter than its declared length.
 */
export async function writeMultipart(out: ResponseSink, boundary: string | undefined, parts: OutPart[], pool: BufferPool = sharedPool): Promise<void> {
  if (boundary === undefined && parts.length !== 1) throw new Error('a body without multipart framing has exactly one part');
  const loads: (Promise<Loaded> | undefined)[] = new Array(parts.length);
  let started = 0;
  const pooled = (p: OutPart): p is OutPart & Required<Pick<OutPart, 'readInto' | 'length'>> =>
    !!p.readInto && p.length !== undefined && p.length <= pool.bufferSize;
  const begin = (i: number) => {
    const p = parts[i]!;
    if (pooled(p)) {
      const buf = pool.acquire();
      loads[i] = p.readInto(buf.subarray(0, p.length)).then(
        (n) => ({ buf, n }),
        (err: unknown) => {
          pool.release(buf);
          throw err;
        },
      );
    } else {
      loads[i] = Promise.resolve(p.open()).then((stream) => ({ stream }));
    }
    loads[i]!.catch(() => undefined); // surfaced in order below
  };
  let i = 0;
  try {
    for (; i < parts.length; i++) {
      while (started < parts.length && started <= i + (pooled(parts[started]!) ? READ_AHEAD : 1)) begin(started++);
      const loaded = await loads[i]!;
      loads[i] = undefined;
      if (out.destroyed) {
        if ('buf' in loaded) pool.release(loaded.buf);
        else loaded.stream.destroy();
        throw new ClientGone();
      }
      const head = boundary === undefined ? '' : partHead(boundary, parts[i]!, i === 0);
      if ('buf' in loaded) {
        const { buf, n } = loaded;
        if (n !== parts[i]!.length) {
          pool.release(buf);
          throw new Error(`part ${i + 1} has ${n} bytes, ${parts[i]!.length} declared`);
        }
        out.cork?.();
        if (head) out.write(head);
        // The socket owns the memory until the write completes (or fails): only then is it reusable.
        out.write(buf.subarray(0, n), () => pool.release(buf));
        out.uncork?.();
      } else {
        if (head) out.write(head);
        for await (const chunk of loaded.stream) {
          if (!out.write(chunk as Buffer)) await drained(out);
          if (out.destroyed) {
            loaded.stream.destroy();
            throw new ClientGone();
          }
        }
      }
      if (out.writableNeedDrain) await drained(out);
    }
    if (boundary !== undefined) out.write(`${CRLF}--${boundary}--${CRLF}`);
    out.end();
  } catch (err) {
    // Parts read ahead but never written: their buffers go back, their streams are closed.
    for (let j = i + 1; j < started; j++) {
      void loads[j]?.then(
        (l) => ('buf' in l ? pool.release(l.buf) : l.stream.destroy()),
        () => undefined,
      );
    }
    if (err instanceof ClientGone) return;
    throw err;
  }
}

/**
 * Sends `parts` (a multipart body with `boundary`, else the single part alone) with
 * {@link writeMultipart} on the raw response: it needs the socket's write callbacks to reuse its
 * pooled buffers. The reply's headers (Content-Type, Content-Length, ETag, CORS, caching) must be
 * set before. A failure after the status line cuts the body off (a multipart client sees no close
 * delimiter, any client a short body) and is logged.
 */
export async function sendRaw(reply: FastifyReply, log: FastifyBaseLogger, boundary: string | undefined, parts: OutPart[]): Promise<void> {
  reply.hijack();
  reply.raw.writeHead(200, reply.getHeaders() as OutgoingHttpHeaders);
  try {
    await writeMultipart(reply.raw, boundary, parts);
  } catch (err) {
    log.warn({ err }, 'response failed while streaming');
    reply.raw.destroy(err as Error);
  }
}
