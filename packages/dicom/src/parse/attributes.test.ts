import type { DataSet, Element } from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { valueText } from './attributes';
import { decoderFor } from './charset';

/** A data set of one value at offset 2 (all valueText reads: the bytes and the element's place). */
function one(bytes: number[]): { ds: DataSet; el: Element } {
  const byteArray = Buffer.from([0xff, 0xff, ...bytes, 0xff]);
  return { ds: { byteArray, elements: {} } as unknown as DataSet, el: { tag: 'x00100010', dataOffset: 2, length: bytes.length } as Element };
}

describe('valueText', () => {
  it('reads a 7-bit value as ASCII, also from a plain Uint8Array', () => {
    const { ds, el } = one([...Buffer.from('1.2.840.10008^Rex')]);
    expect(valueText(ds, el)).toBe('1.2.840.10008^Rex');
    expect(valueText({ ...ds, byteArray: new Uint8Array(ds.byteArray) } as DataSet, el)).toBe('1.2.840.10008^Rex');
  });

  it('decodes 8-bit values with the character set', () => {
    const { ds, el } = one([...Buffer.from('Café', 'latin1')]);
    expect(valueText(ds, el, decoderFor('ISO_IR 100'))).toBe('Café');
    const utf8 = one([...Buffer.from('Müller^Bärli')]);
    expect(valueText(utf8.ds, utf8.el, decoderFor('ISO_IR 192'))).toBe('Müller^Bärli');
  });

  it('leaves 7-bit ISO 2022 escape sequences to the decoder', () => {
    // 山田 in JIS X 0208 between ESC $ B and ESC ( B: every byte is below 0x80.
    const { ds, el } = one([0x1b, 0x24, 0x42, 0x3b, 0x33, 0x45, 0x44, 0x1b, 0x28, 0x42]);
    expect(valueText(ds, el, decoderFor('\\ISO 2022 IR 87'))).toBe('山田');
  });
});
