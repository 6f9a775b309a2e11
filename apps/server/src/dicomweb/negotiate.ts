import { TransferSyntax } from '@vetpacs/dicom';
import { covers, frameMediaType, type MediaRange } from './http';

/** `'stored'` = the bytes as received; otherwise a transfer syntax UID to serve. */
export type SyntaxChoice = 'stored' | string;

/**
 * Transfer syntaxes the client accepts for `application/dicom` parts (PS3.18 §8.7.3.5), in
 * preference order. `transfer-syntax=*` asks for the stored bytes unchanged. With no
 * transfer-syntax parameter the standard's default is Explicit VR Little Endian; we answer with the
 * stored syntax instead (named in each part's Content-Type), as the conformance statement says,
 * because re-encoding an original the client did not ask to change helps nobody.
 */
export function dicomSyntaxChoices(ranges: MediaRange[]): SyntaxChoice[] {
  const out: SyntaxChoice[] = [];
  for (const r of ranges) {
    let inner: string | undefined;
    if (r.type === 'multipart/related' || r.type === 'multipart/*') inner = r.params.type ?? 'application/dicom';
    else if (r.type === '*/*') inner = 'application/dicom';
    if (!inner || !covers(inner.toLowerCase(), 'application/dicom')) continue;
    const ts = r.params['transfer-syntax'];
    out.push(!ts || ts === '*' ? 'stored' : ts);
  }
  return [...new Set(out)];
}

/** Pre-standard names still sent by clients (dicomweb-client, older OHIF) for the same payloads. */
const ALIASES: Record<string, string> = { 'image/x-dicom-rle': 'image/dicom-rle', 'image/x-jls': 'image/jls', 'image/jhc': 'image/jphc' };

const NATIVE_LE = new Set<string>([TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]);

/** How frames or bulk data of one instance are sent. */
export interface FrameChoice {
  multipart: boolean;
  /** Part (or body) Content-Type including the transfer-syntax parameter. */
  contentType: string;
  /** Set when the frames must be transcoded on the fly to this syntax (never for stored bytes). */
  transcodeTo?: string;
}

/**
 * Syntax a compressed frame media type means when the Accept names none (PS3.18 Table 8.7.3-5:
 * the default transfer syntax of each media type). `image/jpeg`'s default (.50) is lossy and never
 * produced on the fly.
 */
const DEFAULT_SYNTAX: Record<string, string> = {
  'image/jpeg': TransferSyntax.JPEGBaseline,
  'image/jls': TransferSyntax.JPEGLSLossless,
  'image/jp2': TransferSyntax.JPEG2000Lossless,
  'image/jphc': TransferSyntax.HTJ2KLossless,
  'image/dicom-rle': TransferSyntax.RLELossless,
};

/**
 * Chooses the media type for pixel data of an instance stored in `storedTs` (PS3.18 §8.7.3.3-4,
 * Table 8.7.3-4/5). Stored bytes are preferred: a range is served from them when it names the
 * stored syntax, `*`, or (for native little-endian data, whose pixel bytes are the same in
 * Explicit and Implicit VR) either native little-endian syntax. Otherwise, when `canTranscode`
 * allows the range's syntax (frames only; the default for `application/octet-stream` is Explicit VR
 * Little Endian, PS3.18 §8.7.3.5.2), the frames are transcoded on the fly. `single` allows a
 * non-multipart answer (one frame, or bulk data). Returns undefined when nothing acceptable can be
 * served (406).
 */
export function chooseFrameMedia(ranges: MediaRange[], storedTs: string, single: boolean, canTranscode: (target: string) => boolean = () => false): FrameChoice | undefined {
  const natural = frameMediaType(storedTs);
  const native = natural === 'application/octet-stream';
  for (const r of ranges) {
    const isMultipart = r.type === 'multipart/related' || r.type === 'multipart/*';
    if (!isMultipart && !single && r.type !== '*/*') continue;
    const inner = isMultipart ? (r.params.type?.toLowerCase() ?? 'application/octet-stream') : r.type;
    const ts = r.params['transfer-syntax'];
    let type: string | undefined;
    let served: string | undefined;
    let transcodeTo: string | undefined;
    if (inner === '*/*') {
      type = natural;
      served = storedTs;
    } else if (inner === 'application/octet-stream' || inner === 'application/*') {
      type = 'application/octet-stream';
      if (ts === '*') served = storedTs;
      else if (native && NATIVE_LE.has(storedTs) && (!ts || NATIVE_LE.has(ts))) served = ts ?? TransferSyntax.ExplicitVRLittleEndian;
      else if (ts === storedTs && native) served = storedTs;
      else if ((!ts || NATIVE_LE.has(ts)) && canTranscode(TransferSyntax.ExplicitVRLittleEndian)) {
        // Implicit and Explicit VR Little Endian frames are the same pixel bytes: decode once.
        served = ts ?? TransferSyntax.ExplicitVRLittleEndian;
        transcodeTo = TransferSyntax.ExplicitVRLittleEndian;
      }
    } else {
      const named = ALIASES[inner] ?? inner;
      if (!native && (covers(named, natural) || named === natural) && (!ts || ts === '*' || ts === storedTs)) {
        served = storedTs;
        type = inner.endsWith('/*') ? natural : inner;
      } else if (!inner.endsWith('/*') && ts !== '*') {
        const target = ts ?? DEFAULT_SYNTAX[named];
        if (target && target !== storedTs && frameMediaType(target) === named && canTranscode(target)) {
          served = target;
          transcodeTo = target;
          type = inner;
        }
      }
    }
    // `*/*`: multipart for frames (the standard's form), a single body for bulk data.
    if (type && served) return { multipart: isMultipart || (r.type === '*/*' && !single), contentType: `${type}; transfer-syntax=${served}`, ...(transcodeTo ? { transcodeTo } : {}) };
  }
  return undefined;
}
