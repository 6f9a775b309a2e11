/** How a transfer syntax encodes the data set and pixel data (PS3.5 §10, Annex A). */
export interface TransferSyntaxInfo {
  uid: string;
  name: string;
  explicitVr: boolean;
  littleEndian: boolean;
  /** Pixel data is a sequence of fragments (PS3.5 §A.4). */
  encapsulated: boolean;
  /** The data set after the File Meta Information is deflated (PS3.5 §A.5). */
  deflated: boolean;
  /** Codec family, for consumers choosing a decoder. */
  codec: 'none' | 'deflate' | 'jpeg' | 'jpeg-ls' | 'jpeg2000' | 'htj2k' | 'rle' | 'mpeg' | 'jpip';
  /** Video syntaxes encode all frames in one stream; frames are not separately addressable. */
  video: boolean;
}

type Row = [uid: string, name: string, codec: TransferSyntaxInfo['codec']];

const native: TransferSyntaxInfo[] = [
  { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', explicitVr: false, littleEndian: true },
  { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian', explicitVr: true, littleEndian: true },
  { uid: '1.2.840.10008.1.2.2', name: 'Explicit VR Big Endian (retired)', explicitVr: true, littleEndian: false },
].map((t) => ({ ...t, encapsulated: false, deflated: false, codec: 'none', video: false }));

const deflated: TransferSyntaxInfo[] = [
  ['1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian'],
  ['1.2.840.10008.1.2.8.1', 'Deflated Image Frame Compression'],
].map(([uid, name]) => ({
  uid: uid!,
  name: name!,
  explicitVr: true,
  littleEndian: true,
  encapsulated: uid !== '1.2.840.10008.1.2.1.99',
  deflated: uid === '1.2.840.10008.1.2.1.99',
  codec: uid === '1.2.840.10008.1.2.1.99' ? 'none' : 'deflate',
  video: false,
}));

const compressed: Row[] = [
  ['1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg'],
  ['1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', 'jpeg'],
  ['1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg'],
  ['1.2.840.10008.1.2.4.70', 'JPEG Lossless, First-Order Prediction (Process 14 SV1)', 'jpeg'],
  ['1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'jpeg-ls'],
  ['1.2.840.10008.1.2.4.81', 'JPEG-LS Near-Lossless', 'jpeg-ls'],
  ['1.2.840.10008.1.2.4.90', 'JPEG 2000 (Lossless Only)', 'jpeg2000'],
  ['1.2.840.10008.1.2.4.91', 'JPEG 2000', 'jpeg2000'],
  ['1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 (Lossless Only)', 'htj2k'],
  ['1.2.840.10008.1.2.4.202', 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)', 'htj2k'],
  ['1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000', 'htj2k'],
  ['1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'],
  ['1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level', 'mpeg'],
  ['1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level', 'mpeg'],
  ['1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1', 'mpeg'],
  ['1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', 'mpeg'],
  ['1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', 'mpeg'],
  ['1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', 'mpeg'],
  ['1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', 'mpeg'],
  ['1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1', 'mpeg'],
  ['1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1', 'mpeg'],
];

const table = new Map<string, TransferSyntaxInfo>();
for (const t of native) table.set(t.uid, t);
for (const t of deflated) table.set(t.uid, t);
for (const [uid, name, codec] of compressed) {
  table.set(uid, { uid, name, explicitVr: true, littleEndian: true, encapsulated: true, deflated: false, codec, video: codec === 'mpeg' });
}

/** Well-known transfer syntax UIDs used across the codebase. */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  JPEGBaseline: '1.2.840.10008.1.2.4.50',
  JPEGExtended: '1.2.840.10008.1.2.4.51',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  HTJ2KLossless: '1.2.840.10008.1.2.4.201',
  HTJ2KLosslessRPCL: '1.2.840.10008.1.2.4.202',
  HTJ2K: '1.2.840.10008.1.2.4.203',
  RLELossless: '1.2.840.10008.1.2.5',
  MPEG2MainProfile: '1.2.840.10008.1.2.4.100',
  H264HighProfile: '1.2.840.10008.1.2.4.102',
  HEVCMainProfile: '1.2.840.10008.1.2.4.107',
} as const;

/** Properties of a supported transfer syntax, or `undefined` when we do not accept it. */
export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  return table.get(uid);
}

/** All transfer syntaxes accepted at ingest. */
export function supportedTransferSyntaxes(): TransferSyntaxInfo[] {
  return [...table.values()];
}
