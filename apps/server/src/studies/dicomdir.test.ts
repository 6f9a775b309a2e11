import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDicomdir, type DicomdirPatient, isValidFileIdComponent } from './dicomdir';

const patient: DicomdirPatient = {
  patientId: 'P-001',
  patientName: 'Müller^Rex',
  studies: [
    {
      studyInstanceUid: '1.2.3.4',
      studyDate: '20240102',
      studyTime: '101500',
      studyDescription: 'Thorax 3 views',
      studyId: '7',
      accessionNumber: 'ACC1',
      series: [1, 2].map((s) => ({
        seriesInstanceUid: `1.2.3.4.${s}`,
        modality: 'DX',
        seriesNumber: s,
        images: [1, 2, 3].map((i) => ({
          fileId: ['DICOM', `SE${String(s).padStart(6, '0')}`, `IM${String(i).padStart(6, '0')}`],
          sopClassUid: '1.2.840.10008.5.1.4.1.1.1.1',
          sopInstanceUid: `1.2.3.4.${s}.${i}`,
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          instanceNumber: i,
        })),
      })),
    },
  ],
};

/** Walks the records through their offsets, as a media reader does (PS3.3 F.3.2.2). */
function readTree(buf: Buffer) {
  const tagAt = (o: number) => `${buf.readUInt16LE(o).toString(16)},${buf.readUInt16LE(o + 2).toString(16)}`;
  // Finds an element in a record (items are small: a linear scan for the tag bytes is enough here).
  const ulIn = (recOffset: number, el: number) => {
    const len = buf.readUInt32LE(recOffset + 4);
    const needle = Buffer.alloc(4);
    needle.writeUInt16LE(0x0004, 0);
    needle.writeUInt16LE(el, 2);
    const at = buf.subarray(recOffset + 8, recOffset + 8 + len).indexOf(needle);
    return buf.readUInt32LE(recOffset + 8 + at + 8);
  };
  const typeOf = (recOffset: number) => buf.subarray(recOffset, recOffset + 400).toString('latin1').match(/PATIENT|STUDY|SERIES|IMAGE/)?.[0];
  const first = buf.readUInt32LE(buf.indexOf(Buffer.from([0x04, 0x00, 0x00, 0x12])) + 8);
  const visit = (offset: number): unknown[] => {
    const out: unknown[] = [];
    for (let o = offset; o; o = ulIn(o, 0x1400)) {
      expect(tagAt(o)).toBe('fffe,e000');
      const lower = ulIn(o, 0x1420);
      out.push({ type: typeOf(o), children: lower ? visit(lower) : [] });
    }
    return out;
  };
  return visit(first);
}

describe('DICOMDIR', () => {
  it('is a Part-10 Media Storage Directory that dcmdump reads, with one record per level', () => {
    const buf = buildDicomdir([patient]);
    const dir = mkdtempSync(path.join(tmpdir(), 'dicomdir-'));
    try {
      const file = path.join(dir, 'DICOMDIR');
      writeFileSync(file, buf);
      const dump = execFileSync('dcmdump', ['-q', file], { encoding: 'utf8' });
      expect(dump).toContain('=MediaStorageDirectoryStorage');
      expect(dump.match(/DirectoryRecordType/g)).toHaveLength(1 + 1 + 2 + 6);
      expect(dump).toContain('[DICOM\\SE000002\\IM000003]');
      expect(dump).toContain('[1.2.3.4.2.3]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('links records by byte offsets that point at their items', () => {
    const tree = readTree(buildDicomdir([patient])) as { type: string; children: { type: string; children: { type: string; children: unknown[] }[] }[] }[];
    expect(tree).toHaveLength(1);
    expect(tree[0]!.type).toBe('PATIENT');
    const study = tree[0]!.children;
    expect(study.map((s) => s.type)).toEqual(['STUDY']);
    expect(study[0]!.children.map((s) => s.type)).toEqual(['SERIES', 'SERIES']);
    expect(study[0]!.children.map((s) => s.children.length)).toEqual([3, 3]);
  });

  it('refuses file IDs that are not media-safe', () => {
    expect(isValidFileIdComponent('IM000001')).toBe(true);
    expect(isValidFileIdComponent('im1.dcm')).toBe(false);
    const bad = structuredClone(patient);
    bad.studies[0]!.series[0]!.images[0]!.fileId = ['toolongname1'];
    expect(() => buildDicomdir([bad])).toThrow(/file ID/);
  });
});
