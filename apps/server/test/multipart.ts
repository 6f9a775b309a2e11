/** One part of a multipart/related response body. */
export interface Part {
  /** Header lines as sent (e.g. `Content-Type: …`). */
  headers: string;
  contentType: string;
  body: Buffer;
}

/** Splits a multipart/related body (RFC 2046 §5.1.1) using the boundary of its Content-Type. */
export function splitMultipart(contentType: string, body: Buffer): Part[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const out: Part[] = [];
  let pos = body.indexOf(`--${boundary}`);
  while (pos >= 0) {
    const start = pos + boundary.length + 2;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const headEnd = body.indexOf('\r\n\r\n', start);
    const next = body.indexOf(`\r\n--${boundary}`, headEnd);
    if (headEnd < 0 || next < 0) throw new Error('truncated multipart body');
    const headers = body.subarray(start, headEnd).toString('latin1');
    out.push({ headers, contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim() ?? '', body: body.subarray(headEnd + 4, next) });
    pos = next + 2;
  }
  return out;
}
