import { TransferSyntax } from '@vetpacs/dicom';
import { describe, expect, it } from 'vitest';
import { LOSSLESS_COPY_SYNTAX, transcodeTargets } from './transcode';

const MiB = 1024 * 1024;
const policy = { minCompressBytes: MiB, maxBytes: 512 * MiB };

describe('transcodeTargets', () => {
  it('gives large uncompressed originals a lossless copy and small ones none', () => {
    expect(transcodeTargets({ transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, byteSize: 2 * MiB, bitsAllocated: 16 }, policy)).toEqual([LOSSLESS_COPY_SYNTAX]);
    expect(transcodeTargets({ transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, byteSize: MiB - 1, bitsAllocated: 16 }, policy)).toEqual([]);
  });

  it('normalises big endian to little endian', () => {
    expect(transcodeTargets({ transferSyntaxUid: TransferSyntax.ExplicitVRBigEndian, byteSize: 1000, bitsAllocated: 16 }, policy)).toEqual([TransferSyntax.ExplicitVRLittleEndian]);
  });

  it('wants no copy of an original above maxBytes (the transcode job would skip it, so reconcile must not enqueue it)', () => {
    const big = BigInt(512 * MiB + 1);
    expect(transcodeTargets({ transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, byteSize: big, bitsAllocated: 16 }, policy)).toEqual([]);
    expect(transcodeTargets({ transferSyntaxUid: TransferSyntax.ExplicitVRBigEndian, byteSize: big, bitsAllocated: 16 }, policy)).toEqual([]);
    expect(transcodeTargets({ transferSyntaxUid: TransferSyntax.JPEGExtended, byteSize: big, bitsAllocated: 16 }, policy)).toEqual([]);
    expect(transcodeTargets({ transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, byteSize: 512 * MiB, bitsAllocated: 16 }, policy)).toEqual([LOSSLESS_COPY_SYNTAX]);
  });
});
