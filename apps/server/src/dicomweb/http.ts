import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BULK_ROOT_PLACEHOLDER } from '../ingest/record';

/** One media range of an Accept header, with its parameters (lower-cased names). */
export interface MediaRange {
  type: string;
  params: Record<string, string>;
  q: number;
}

/**
 * Parses an Accept header (RFC 9110 §12.5.1), keeping parameters such as `type` and
 * `transfer-syntax` that DICOMweb uses (PS3.18 §8.7.3). Quoted and unquoted parameter values are
 * both accepted (OHIF omits the quotes). Sorted by q, highest first; q=0 ranges are dropped.
 */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header?.trim()) return [{ type: '*/*', params: {}, q: 1 }];
  const out: MediaRange[] = [];
  for (const raw of splitOutsideQuotes(header, ',')) {
    const [type = '', ...rest] = splitOutsideQuotes(raw, ';');
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      let v = p.slice(eq + 1).trim();
      if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      params[p.slice(0, eq).trim().toLowerCase()] = v;
    }
    const q = params.q === undefined ? 1 : Number(params.q);
    delete params.q;
    if (type.trim() && q > 0) out.push({ type: type.trim().toLowerCase(), params, q: Number.isFinite(q) ? q : 1 });
  }
  return out.sort((a, b) => b.q - a.q);
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

/** True when `range` (e.g. `application/*`) covers `mediaType`. */
export function covers(range: string, mediaType: string): boolean {
  if (range === '*/*' || range === mediaType) return true;
  return range.endsWith('/*') && mediaType.startsWith(range.slice(0, -1));
}

/**
 * The DICOMweb root as clients reach it: PUBLIC_URL when configured (behind a proxy), else the
 * request's own origin. BulkDataURIs and RetrieveURLs are built on it, so they resolve on the
 * public origin (PS3.18 §8.3.3.2).
 */
export function dicomwebRoot(req: FastifyRequest, publicUrl: string | undefined): string {
  const origin = publicUrl ? publicUrl.replace(/\/+$/, '') : `${req.protocol}://${req.host}`;
  return `${origin}/dicomweb`;
}

/**
 * A Warning header value (PS3.18 §8.3.4.1, §8.10.3). Header values must be printable ASCII here:
 * reasons and echoed query parameter names can carry anything (a patient name, a non-Latin-1 key,
 * CR/LF), which Node rejects with ERR_INVALID_CHAR; such characters become '?' ('×' becomes 'x').
 */
export function warningHeader(text: string): string {
  return text.replace(/×/g, 'x').replace(/[^\x20-\x7e]/g, '?');
}

/** Replaces the ingest placeholder in stored DICOM JSON with the served root. */
export function resolveBulkRoot(json: string, root: string): string {
  return json.replaceAll(BULK_ROOT_PLACEHOLDER, root);
}

/** A strong ETag from parts that fully determine the representation. */
export function strongEtag(...parts: (string | number)[]): string {
  return `"${createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 32)}"`;
}

/**
 * Sets ETag and answers 304 when If-None-Match matches (RFC 9110 §13.1.2). Returns true when the
 * response is complete.
 */
export function notModified(req: FastifyRequest, reply: FastifyReply, etag: string): boolean {
  reply.header('ETag', etag);
  const inm = req.headers['if-none-match'];
  if (!inm) return false;
  const tags = inm.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (tags.includes('*') || tags.includes(etag)) {
    reply.code(304).send();
    return true;
  }
  return false;
}

/**
 * Body for HEAD responses: Fastify's HEAD handling would drain a real stream (reading the whole
 * object from storage) and overwrite Content-Length for an empty payload; an empty stream avoids both.
 */
export const emptyBody = () => Readable.from([]);

/** Original bytes never change once stored (first version stays served): cache privately, long. */
export const CACHE_IMMUTABLE = 'private, max-age=31536000, immutable';
/** Lists and metadata grow as instances arrive: always revalidate (cheap with ETags). */
export const CACHE_REVALIDATE = 'private, no-cache';

/** Media type of a stored frame in a given transfer syntax (PS3.18 Table 8.7.3-5, §8.7.4). */
export function frameMediaType(transferSyntaxUid: string): string {
  switch (transferSyntaxUid) {
    case '1.2.840.10008.1.2.4.50':
    case '1.2.840.10008.1.2.4.51':
    case '1.2.840.10008.1.2.4.57':
    case '1.2.840.10008.1.2.4.70':
      return 'image/jpeg';
    case '1.2.840.10008.1.2.4.80':
    case '1.2.840.10008.1.2.4.81':
      return 'image/jls';
    case '1.2.840.10008.1.2.4.90':
    case '1.2.840.10008.1.2.4.91':
      return 'image/jp2';
    case '1.2.840.10008.1.2.4.201':
    case '1.2.840.10008.1.2.4.202':
    case '1.2.840.10008.1.2.4.203':
      return 'image/jphc';
    case '1.2.840.10008.1.2.5':
      return 'image/dicom-rle';
    case '1.2.840.10008.1.2.4.100':
    case '1.2.840.10008.1.2.4.101':
      return 'video/mpeg';
    case '1.2.840.10008.1.2.4.102':
    case '1.2.840.10008.1.2.4.103':
    case '1.2.840.10008.1.2.4.104':
    case '1.2.840.10008.1.2.4.105':
    case '1.2.840.10008.1.2.4.106':
      return 'video/mp4';
    case '1.2.840.10008.1.2.4.107':
    case '1.2.840.10008.1.2.4.108':
      return 'video/H265';
    default:
      return 'application/octet-stream';
  }
}
