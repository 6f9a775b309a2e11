import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { DelimiterSearch } from './delimiter-search';

const EMPTY = Buffer.alloc(0);

/**
 * Bytes of a boundary tail or part headers seen so far, plus the next chunk. Usually nothing is
 * pending and the chunk itself is used: copying it (the rest of a 64 KB socket read, twice per part)
 * cost ~2 % of the request thread with ten tiny instances per request.
 */
function joinPending(pending: Buffer, buf: Buffer): Buffer {
  return pending.length ? Buffer.concat([pending, buf]) : buf;
}

export interface RelatedPart {
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The part's bytes, streamed with backpressure. */
  body: Readable;
  /**
   * The part's bytes, when they all arrived with its headers in one read of the request (a small
   * part): a handler can take them as they are instead of reading `body` (then made on demand).
   */
  whole?: Buffer;
  index: number;
}

export class MultipartError extends Error {
  override name = 'MultipartError';
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Streaming parser for `multipart/related` (RFC 2387, as used by STOW-RS, PS3.18 §10.5): calls
 * `onPart` for each part in order and waits for it before starting the next, so one part's bytes are
 * in flight at a time and memory stays constant whatever the body size. A handler that returns
 * without reading its body to the end is fine: the rest of that part is discarded.
 *
 * General form-data parsers (busboy, @fastify/multipart) insist on `multipart/form-data` with
 * Content-Disposition per part; STOW parts have none, so we split on the boundary ourselves
 * (DelimiterSearch: a native `indexOf`, three times faster than busboy's matcher `streamsearch`).
 */
export async function parseMultipartRelated(
  source: AsyncIterable<Buffer | string>,
  boundary: string,
  onPart: (part: RelatedPart) => Promise<void>,
  limits: { maxHeaderBytes?: number; maxParts?: number } = {},
): Promise<{ parts: number }> {
  const maxHeaderBytes = limits.maxHeaderBytes ?? 16 * 1024;
  const maxParts = limits.maxParts ?? 100_000;
  type Mode = 'preamble' | 'boundary-tail' | 'headers' | 'body' | 'done';
  let mode: Mode = 'preamble';
  let pending: Buffer = EMPTY; // boundary tail or header bytes
  let body: PassThrough | null = null;
  let settled = false;
  let handlerDone: Promise<void> | null = null;
  let handlerError: unknown = null;
  let parts = 0;
  let events: ({ kind: 'data'; buf: Buffer } | { kind: 'boundary' })[] = [];

  // The boundary delimiter is CRLF + "--" + boundary; the body's first delimiter has no CRLF before
  // it, so a CRLF is fed first (RFC 2046 §5.1.1).
  const search = new DelimiterSearch(
    Buffer.from(`\r\n--${boundary}`),
    (buf) => events.push({ kind: 'data', buf }),
    () => events.push({ kind: 'boundary' }),
  );

  const finishPart = async () => {
    if (!body && !handlerDone) return;
    body?.end();
    body = null;
    await handlerDone;
    handlerDone = null;
    if (handlerError) throw handlerError;
  };

  const startPart = (headerBytes: Buffer, whole: Buffer | undefined) => {
    parts += 1;
    if (parts > maxParts) throw new MultipartError(`more than ${maxParts} parts`);
    const headers = parseHeaders(headerBytes.toString('latin1'));
    settled = false;
    let part: RelatedPart;
    let stream: PassThrough | undefined;
    if (whole) {
      // No stream per part (its creation, write, end and async iteration were ~4 % of the request
      // thread with ten tiny instances per request): the bytes go to the handler as they are, and
      // a stream of them is made only if the handler asks for `body`.
      let lazy: Readable | undefined;
      part = {
        headers,
        whole,
        index: parts - 1,
        get body() {
          lazy ??= Readable.from([whole], { objectMode: true });
          return lazy;
        },
      };
    } else {
      // Object mode: the reader gets the chunks as they were cut from the request. A byte-mode
      // stream's read() joins everything buffered into a new Buffer first — a copy of every byte
      // of every instance (~0.13 s of CPU per GB of radiographs, measured: docs/benchmarks.md).
      // 16 chunks of up to 64 KB ≈ the former 1 MB high-water mark.
      stream = new PassThrough({ objectMode: true, highWaterMark: 16 });
      body = stream;
      part = { headers, body: stream, index: parts - 1 };
    }
    handlerDone = onPart(part).then(
      () => {
        settled = true;
        stream?.resume(); // discard whatever the handler did not read
      },
      (err) => {
        settled = true;
        handlerError = err;
        stream?.resume();
      },
    );
  };

  const writeBody = async (buf: Buffer) => {
    const b = body!;
    if (settled) return;
    if (!b.write(buf)) {
      await Promise.race([once(b, 'drain'), handlerDone]);
    }
  };

  /** `complete`: no more of this part's bytes follow `buf` (the next event is a boundary). */
  const consume = async (buf: Buffer, complete = false): Promise<void> => {
    switch (mode) {
      case 'preamble':
      case 'done':
        return;
      case 'body':
        return writeBody(buf);
      case 'boundary-tail': {
        pending = joinPending(pending, buf);
        if (pending.length < 2) return;
        if (pending[0] === 0x2d && pending[1] === 0x2d) {
          mode = 'done';
          return;
        }
        const eol = pending.indexOf(CRLF);
        if (eol < 0) {
          if (pending.length > 1024) throw new MultipartError('malformed boundary line');
          return;
        }
        // Keep the CRLF so that a part without headers ends at the first "\r\n\r\n".
        const rest = pending.subarray(eol);
        pending = EMPTY;
        mode = 'headers';
        return consume(rest, complete);
      }
      case 'headers': {
        pending = joinPending(pending, buf);
        const end = pending.indexOf(HEADER_END);
        if (end < 0) {
          if (pending.length > maxHeaderBytes) throw new MultipartError(`part headers exceed ${maxHeaderBytes} bytes`);
          return;
        }
        const headerBytes = pending.subarray(2, end);
        const rest = pending.subarray(end + 4);
        pending = EMPTY;
        mode = 'body';
        startPart(headerBytes, complete ? rest : undefined);
        if (rest.length && !complete) await writeBody(rest);
        return;
      }
    }
  };

  const drainEvents = async () => {
    const batch = events;
    events = [];
    for (let i = 0; i < batch.length; i++) {
      const ev = batch[i]!;
      if (ev.kind === 'boundary') {
        if (mode === 'done') continue;
        if (mode === 'headers' || mode === 'boundary-tail') throw new MultipartError('part ends inside its headers');
        await finishPart();
        mode = 'boundary-tail';
        pending = EMPTY;
      } else {
        await consume(ev.buf, batch[i + 1]?.kind === 'boundary');
      }
    }
  };

  try {
    search.push(CRLF);
    await drainEvents();
    for await (const chunk of source) {
      search.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      await drainEvents();
    }
    await drainEvents();
    if ((mode as Mode) !== 'done') throw new MultipartError('body ended before the closing boundary (truncated upload?)');
    return { parts };
  } catch (err) {
    const b = body as PassThrough | null;
    if (b) b.destroy(err instanceof Error ? err : new MultipartError(String(err)));
    if (handlerDone) await handlerDone;
    throw err;
  }
}

function parseHeaders(raw: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of raw.split('\r\n')) {
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`malformed part header line: ${line.slice(0, 80)}`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Extracts `boundary` (and `type`) from a multipart Content-Type header value. */
export function parseMultipartContentType(value: string | undefined): { mediaType: string; boundary?: string; type?: string } {
  if (!value) return { mediaType: '' };
  const [mediaType = '', ...params] = value.split(';');
  const out: { mediaType: string; boundary?: string; type?: string } = { mediaType: mediaType.trim().toLowerCase() };
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    let val = p.slice(eq + 1).trim();
    if (val.startsWith('"') && val.endsWith('"')) val = val.slice(1, -1);
    if (key === 'boundary') out.boundary = val;
    if (key === 'type') out.type = val.toLowerCase();
  }
  return out;
}
