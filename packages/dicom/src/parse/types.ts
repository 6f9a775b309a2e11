import type { DataSet } from 'dicom-parser';
import type { TransferSyntaxInfo } from '../transfer-syntax';
import type { InstanceInfo, SeriesInfo, StudyInfo } from '../model/extract';
import type { VetPatientInfo } from '../vet/patient';
import type { TextDecode } from './charset';
import type { ByteRange, FrameLocation } from './frames';

/** Where Pixel Data (7FE0,0010) sits in the stored file. */
export interface PixelDataLocation {
  /** Absolute offset of the element tag. */
  elementOffset: number;
  /** Absolute offset of the first value byte. */
  offset: number;
  /** Value length; `null` = undefined length (encapsulated, PS3.5 §A.4). */
  length: number | null;
  encapsulated: boolean;
  vr: string;
  /** Per-frame byte ranges (see {@link FrameLocation}). */
  frames: FrameLocation[];
  /** Encapsulated only: the fragment value ranges in order (the Basic Offset Table item excluded). */
  fragments: ByteRange[];
  /** Encapsulated only: Basic Offset Table entries (empty when the table is empty). */
  basicOffsetTable: number[];
  /** False when the bytes ended before the pixel data value did (only for partial inputs). */
  complete: boolean;
}

/** File Meta Information (PS3.10 §7.1), when present. */
export interface FileMeta {
  transferSyntaxUid: string;
  mediaStorageSopClassUid?: string;
  mediaStorageSopInstanceUid?: string;
  implementationClassUid?: string;
  implementationVersionName?: string;
  sourceApplicationEntityTitle?: string;
}

/** Everything ingest needs from one instance, parsed without holding pixel data in memory. */
export interface ParsedInstance {
  transferSyntaxUid: string;
  transferSyntax: TransferSyntaxInfo;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** 128-byte preamble + 'DICM' present (PS3.10 §7.1). */
  hasPreamble: boolean;
  /** File Meta Information group (0002), absent for bare data sets. */
  meta?: FileMeta;
  /** Total bytes of the file (for readDicomHeader: of the bytes given). */
  totalSize: number;
  /**
   * The data set after File Meta was deflated (PS3.5 §A.5): offsets in `pixelData` then refer to the
   * inflated data set (meta bytes + inflated bytes), not to the stored file.
   */
  deflated: boolean;
  pixelData?: PixelDataLocation;
  numberOfFrames: number;
  rows?: number;
  columns?: number;
  bitsAllocated?: number;
  samplesPerPixel?: number;
  photometricInterpretation?: string;
  /**
   * dicom-parser data set of every element before Pixel Data (absolute file offsets). Pixel Data
   * itself is not in it: see `pixelData`.
   */
  dataset: DataSet;
  /** Decoder for text values per Specific Character Set (0008,0005). */
  decode: TextDecode;
  patient: VetPatientInfo;
  study: StudyInfo;
  series: SeriesInfo;
  instance: InstanceInfo;
  /** Non-fatal oddities (e.g. a Basic Offset Table that did not match). */
  warnings: string[];
}
