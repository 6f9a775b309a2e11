import { describe, expect, it } from 'vitest';
import { qidoRowsToJsonText } from './qido-json';
import { parseQidoQuery } from './qido-query';

describe('qidoRowsToJsonText', () => {
  it('writes DICOM JSON in tag order, empty attributes with their VR only, stored JSON for includefield tags', () => {
    const q = parseQidoQuery('study', { includefield: ['00102297', 'PatientSexNeutered'] });
    const text = qidoRowsToJsonText(
      [
        {
          _study: '1.2.3',
          t_00100010: 'Smith^Rex=スミス',
          t_00080061: ['DX', 'CR'],
          t_00201206: 2,
          t_00080020: '',
          t_00102203: 'UNKNOWN',
          _extra: { '00102297': { vr: 'PN', Value: [{ Alphabetic: 'Smith^John' }] } },
        },
      ],
      q,
      'https://pacs.example/dicomweb',
    );
    const [ds] = JSON.parse(text) as Record<string, unknown>[];
    const keys = Object.keys(ds!);
    expect(keys).toEqual([...keys].sort());
    expect(ds!['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Smith^Rex', Ideographic: 'スミス' }] });
    expect(ds!['00080061']).toEqual({ vr: 'CS', Value: ['DX', 'CR'] });
    expect(ds!['00201206']).toEqual({ vr: 'IS', Value: [2] });
    expect(ds!['00080020']).toEqual({ vr: 'DA' });
    expect(ds!['00102203']).toEqual({ vr: 'CS' });
    expect(ds!['00102297']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Smith^John' }] });
    expect(ds!['00081190']).toEqual({ vr: 'UR', Value: ['https://pacs.example/dicomweb/studies/1.2.3'] });
    expect(ds!['00080005']).toEqual({ vr: 'CS', Value: ['ISO_IR 192'] });
  });

  it('escapes values as JSON strings', () => {
    const q = parseQidoQuery('study', {});
    const text = qidoRowsToJsonText([{ _study: '1', t_00081030: 'He said "hi"\\\n' }], q, 'r');
    expect((JSON.parse(text) as Record<string, { Value: string[] }>[])[0]!['00081030']!.Value).toEqual(['He said "hi"\\\n']);
  });
});
