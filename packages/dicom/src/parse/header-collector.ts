import { inflateRawSync } from 'node:zlib';
import { DicomValidationError } from '../errors';
import { type TransferSyntaxInfo, transferSyntaxInfo } from '../transfer-syntax';
import type { PatientNameStyle } from '../vet/names';
import { GrowBuffer } from './bytes';
import { buildInstance } from './finalize';
import { FragmentTracker } from './fragments';
import { detectStart, parseMeta } from './preamble';
import { DatasetScanner, type PixelDataHeader } from './scanner';
import type { FileMeta, ParsedInstance } from './types';

/** Options of {@link HeaderCollector} and {@link readDicomHeader}. */
export interface HeaderOptions {
  /** Cap on bytes buffered before Pixel Data (whole file for deflated syntaxes). Default 64 MiB. */
  maxHeaderBytes?: number;
  /** PatientName convention of the sending device (default `'OWNER_PET'`). */
  nameStyle?: PatientNameStyle;
}

const DEFAULT_MAX_HEADER = 64 * 1024 * 1024;

type Phase = 'start' | 'meta' | 'dataset' | 'deflate' | 'native' | 'fragments' | 'trailing';

/**
 * Collects just enough of a streamed DICOM file to index it, in constant memory.
 *
 * Feed every chunk with {@link push} while the same chunks go to storage, then call
 * {@link finish} when the stream ends. Bytes are buffered only up to the top-level Pixel Data
 * element (7FE0,0010). Native pixel data is then only counted; encapsulated pixel data
 * (PS3.5 §A.4) is walked item by item, keeping offsets, lengths and the first bytes of each
 * fragment. Deflated data sets (PS3.5 §A.5) must be inflated whole and are buffered up to the cap.
 * `push` throws {@link DicomValidationError} as soon as the bytes are known to be unacceptable, so
 * an upload can be aborted early.
 */
export class HeaderCollector {
  private readonly maxHeader: number;
  private readonly nameStyle: PatientNameStyle;
  private readonly buf = new GrowBuffer();
  private received = 0;
  private phase: Phase = 'start';
  private hasPreamble = false;
  private metaOffset: number | null = null;
  private meta?: FileMeta;
  private datasetStart = 0;
  private tsUid = '';
  private ts?: TransferSyntaxInfo;
  private scanner?: DatasetScanner;
  private pixel?: PixelDataHeader;
  private tracker?: FragmentTracker;
  private failed?: DicomValidationError;

  constructor(options: HeaderOptions = {}) {
    this.maxHeader = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER;
    this.nameStyle = options.nameStyle ?? 'OWNER_PET';
  }

  /** Bytes received so far. */
  get bytesReceived(): number {
    return this.received;
  }

  /**
   * True once everything before Pixel Data has been parsed (UIDs, patient, geometry are known):
   * `finishPartial()` then succeeds, so a caller can name the object before the pixel bytes arrive.
   */
  get headerComplete(): boolean {
    return this.phase === 'native' || this.phase === 'fragments' || this.phase === 'trailing';
  }

  /** Bytes this collector currently holds in memory (header buffer plus fragment bookkeeping). */
  get retainedBytes(): number {
    return this.buf.data.length + (this.tracker?.retainedBytes ?? 0);
  }

  /** Feeds the next chunk of the file. Throws DicomValidationError on unacceptable bytes. */
  push(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
    try {
      this.accept(chunk);
    } catch (e) {
      if (e instanceof DicomValidationError) this.failed = e;
      throw e;
    }
  }

  /** Declares the end of the file and returns the parsed instance (or throws). */
  finish(): ParsedInstance {
    if (this.failed) throw this.failed;
    return this.complete(true);
  }

  /**
   * Parses what has been received as a possibly partial file (used by readDicomHeader): pixel data
   * may end early without error; anything before it must be complete.
   */
  finishPartial(): ParsedInstance {
    if (this.failed) throw this.failed;
    return this.complete(false);
  }

  private accept(chunk: Uint8Array): void {
    const startOffset = this.received;
    this.received += chunk.length;
    switch (this.phase) {
      case 'native':
      case 'trailing':
        return;
      case 'fragments':
        this.feedFragments(chunk, this.tracker!.pos - startOffset);
        return;
      default:
        this.buf.append(chunk);
        this.advance(false);
        this.checkCap();
    }
  }

  private checkCap(): void {
    // After a Pixel Data header was found the buffer holds exactly the data set before it.
    if (this.buf.length > this.maxHeader) {
      const what = this.phase === 'deflate' ? 'Deflated file' : 'Data set before Pixel Data (7FE0,0010)';
      throw new DicomValidationError('HEADER_TOO_LARGE', `${what} exceeds ${this.maxHeader} bytes`);
    }
  }

  private advance(ended: boolean): void {
    const bytes = this.buf.data;
    const available = this.buf.length;
    if (this.phase === 'start') {
      const s = detectStart(bytes, available, ended);
      if (s.kind === 'need-more') return;
      this.hasPreamble = s.hasPreamble;
      this.metaOffset = s.metaOffset;
      if (s.metaOffset === null) this.beginDataset(s.inferredTransferSyntax!, 0);
      else this.phase = 'meta';
    }
    if (this.phase === 'meta') {
      const m = parseMeta(bytes, available, this.metaOffset!, ended);
      if (m.kind === 'need-more') return;
      this.meta = m.meta;
      this.beginDataset(m.meta.transferSyntaxUid, m.end);
    }
    if (this.phase === 'dataset') {
      const step = this.scanner!.step(bytes, available);
      if (step.kind === 'pixel-data') this.onPixelData(step.header);
    }
  }

  private beginDataset(tsUid: string, start: number): void {
    const ts = transferSyntaxInfo(tsUid);
    if (!ts) {
      throw new DicomValidationError('UNKNOWN_TRANSFER_SYNTAX', `TransferSyntaxUID (0002,0010) '${tsUid.slice(0, 64)}' is not supported`);
    }
    this.tsUid = tsUid;
    this.ts = ts;
    this.datasetStart = start;
    if (ts.deflated) {
      this.phase = 'deflate';
      return;
    }
    this.scanner = new DatasetScanner(start, ts.explicitVr, ts.littleEndian);
    this.phase = 'dataset';
  }

  private onPixelData(header: PixelDataHeader): void {
    this.pixel = header;
    const tail = this.buf.data.subarray(header.valueOffset, this.buf.length);
    if (header.length === null) {
      this.tracker = new FragmentTracker(header.valueOffset);
      this.phase = 'fragments';
      this.feedFragments(tail, 0);
    } else {
      this.phase = 'native';
    }
    // Keep only the data set before Pixel Data; release the rest of the buffered chunk.
    this.buf.truncate(header.elementOffset);
  }

  private feedFragments(chunk: Uint8Array, from: number): void {
    this.tracker!.feed(chunk, Math.max(0, from));
    // Whatever follows the sequence delimiter (e.g. Data Set Trailing Padding) is only counted.
    if (this.tracker!.done) this.phase = 'trailing';
  }

  private complete(strict: boolean): ParsedInstance {
    if (this.phase === 'deflate') return this.completeDeflated(strict);
    if (this.phase === 'start' || this.phase === 'meta' || this.phase === 'dataset') this.advance(true);
    // advance() may have just recognised a deflated syntax in a small file.
    if ((this.phase as Phase) === 'deflate') return this.completeDeflated(strict);
    if (this.phase === 'dataset' && !this.scanner!.atTopLevel) {
      throw new DicomValidationError('TRUNCATED', `File ends inside a sequence (${this.received} bytes received)`);
    }
    if (this.phase === 'dataset' && this.scanner!.pos !== this.buf.length) {
      throw new DicomValidationError('TRUNCATED', `File ends inside an element at offset ${this.scanner!.pos} (${this.received} bytes received)`);
    }
    return this.build(strict, this.received, this.buf.view(), false);
  }

  private build(strict: boolean, total: number, bytes: Buffer, deflated: boolean): ParsedInstance {
    const px = this.pixel;
    let complete = true;
    if (px && px.length !== null && total < px.valueOffset + px.length) complete = false;
    if (px && px.length === null && !this.tracker!.done) complete = false;
    if (px && !complete && strict) {
      const detail = px.length === null ? 'before its sequence delimiter' : `${px.length} bytes declared, ${total - px.valueOffset} received`;
      throw new DicomValidationError('TRUNCATED', `Pixel Data (7FE0,0010) is truncated: ${detail}`);
    }
    return buildInstance({
      bytes,
      datasetStart: this.datasetStart,
      datasetEnd: px ? px.elementOffset : bytes.length,
      transferSyntaxUid: this.tsUid,
      ts: this.ts!,
      hasPreamble: this.hasPreamble,
      meta: this.meta,
      totalSize: total,
      deflated,
      pixel: px ? { header: px, tracker: this.tracker, complete } : undefined,
      nameStyle: this.nameStyle,
      warnings: [],
    });
  }

  /**
   * Deflated Explicit VR Little Endian (PS3.5 §A.5): everything after File Meta is a raw deflate
   * stream. Inflate it (bounded by the cap), re-assemble meta + data set, and walk it like any
   * other Explicit VR Little Endian file. Offsets then refer to the inflated bytes.
   */
  private completeDeflated(strict: boolean): ParsedInstance {
    const stored = this.buf.view();
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(stored.subarray(this.datasetStart), { maxOutputLength: this.maxHeader });
    } catch (cause) {
      const tooBig = (cause as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      throw new DicomValidationError(tooBig ? 'HEADER_TOO_LARGE' : 'TRUNCATED', tooBig ? `Inflated data set exceeds ${this.maxHeader} bytes` : 'Deflated data set is corrupt or truncated', { cause });
    }
    const whole = Buffer.concat([stored.subarray(0, this.datasetStart), inflated]);
    const scanner = new DatasetScanner(this.datasetStart, true, true);
    const step = scanner.step(whole, whole.length);
    if (step.kind === 'pixel-data') {
      this.pixel = step.header;
      if (step.header.length === null) {
        this.tracker = new FragmentTracker(step.header.valueOffset);
        this.tracker.feed(whole, step.header.valueOffset);
      }
    } else if (!scanner.atTopLevel || scanner.pos !== whole.length) {
      throw new DicomValidationError('TRUNCATED', 'Inflated data set ends inside an element');
    }
    const headerEnd = this.pixel ? this.pixel.elementOffset : whole.length;
    return this.build(strict, whole.length, whole.subarray(0, headerEnd), true);
  }
}
