import { readDicomHeader } from '@vetpacs/dicom';
import { makeDicom } from '@vetpacs/dicom/testing';
import { describe, expect, it } from 'vitest';
import { IMPLEMENTATION_CLASS_UID, part10Header } from './file-meta';

describe('part10Header', () => {
  it('makes a received data set a valid Part-10 file with the negotiated transfer syntax', () => {
    const file = makeDicom({ seed: 9, encoding: 'implicit' });
    const dataset = file.subarray(144 + file.readUInt32LE(140));
    const header = part10Header({ sopClassUid: '1.2.840.10008.5.1.4.1.1.1.1', sopInstanceUid: '1.2.826.0.1.3680043.10.1000.9.1.1.1', transferSyntaxUid: '1.2.840.10008.1.2', sourceAeTitle: 'XRAY1' });
    expect(header.length % 2).toBe(0);
    const parsed = readDicomHeader(Buffer.concat([header, dataset]), { complete: true });
    expect(parsed.transferSyntaxUid).toBe('1.2.840.10008.1.2');
    expect(parsed.sopInstanceUid).toBe('1.2.826.0.1.3680043.10.1000.9.1.1.1');
    expect(parsed.meta?.implementationClassUid).toBe(IMPLEMENTATION_CLASS_UID);
    expect(parsed.meta?.sourceApplicationEntityTitle).toBe('XRAY1');
  });
});
