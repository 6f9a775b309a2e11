import { describe, expect, it } from 'vitest';
import { chooseTransferSyntax, isStorageSopClass } from './scp';

describe('presentation context negotiation', () => {
  it('accepts every standard storage SOP class and private ones when allowed', () => {
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.1.1', false)).toBe(true);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.77.1.4', false)).toBe(true);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.2.2.1', false)).toBe(false); // Q/R find is not storage
    expect(isStorageSopClass('1.2.840.113619.4.27', true)).toBe(true);
    expect(isStorageSopClass('1.2.840.113619.4.27', false)).toBe(false);
  });
  it('keeps the sender’s first supported proposal so images arrive as made', () => {
    expect(chooseTransferSyntax('1.2.840.10008.5.1.4.1.1.2', ['1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.1'], true)).toBe('1.2.840.10008.1.2.4.70');
    expect(chooseTransferSyntax('1.2.840.10008.5.1.4.1.1.2', ['1.2.3.4', '1.2.840.10008.1.2.4.102'], true)).toBe('1.2.840.10008.1.2.4.102');
    expect(chooseTransferSyntax('1.2.840.10008.5.1.4.1.1.2', ['1.2.3.4'], true)).toBe('ts-not-supported');
  });
  it('uses uncompressed syntaxes for verification and storage commitment, rejects other services', () => {
    expect(chooseTransferSyntax('1.2.840.10008.1.1', ['1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2'], true)).toBe('1.2.840.10008.1.2');
    expect(chooseTransferSyntax('1.2.840.10008.1.20.1', ['1.2.840.10008.1.2.1'], true)).toBe('1.2.840.10008.1.2.1');
    expect(chooseTransferSyntax('1.2.840.10008.5.1.4.1.2.2.1', ['1.2.840.10008.1.2'], true)).toBe('abstract-not-supported');
  });
});
