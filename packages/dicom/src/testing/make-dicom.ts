import { TransferSyntax } from '../transfer-syntax';
import { makePixels } from './pixels';
import { type Encoding, el, type WriteElement, writeDataset, writeFileMeta } from './writer';

/** A coded value for Code Sequence items. */
export interface TestCode {
  value: string;
  scheme: string;
  meaning: string;
}

/** What {@link makeDicom} should put in the file. Every field has a realistic default. */
export interface MakeDicomOptions {
  /** Seed for default UIDs: files with the same seed share study/series UIDs. */
  seed?: number;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  sopClassUid?: string;
  modality?: string;
  patientName?: string;
  patientId?: string;
  issuerOfPatientId?: string;
  otherPatientIds?: { id: string; issuer?: string; type?: string }[];
  species?: string;
  speciesCode?: TestCode;
  breed?: string;
  breedCode?: TestCode;
  breedRegistrations?: { number: string; registry?: string }[];
  responsiblePerson?: string;
  responsiblePersonRole?: string;
  responsibleOrganization?: string;
  sex?: string;
  neutered?: 'ALTERED' | 'UNALTERED';
  birthDate?: string;
  weight?: number;
  specificCharacterSet?: string;
  studyDate?: string;
  studyTime?: string;
  accessionNumber?: string;
  studyDescription?: string;
  seriesDescription?: string;
  referringPhysicianName?: string;
  institutionName?: string;
  stationName?: string;
  bodyPartExamined?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  rows?: number;
  columns?: number;
  bitsAllocated?: 8 | 16;
  bitsStored?: number;
  samplesPerPixel?: 1 | 3;
  /** > 1 writes NumberOfFrames and a multi-frame pixel data value. */
  frames?: number;
  /** Omit pixel data entirely (e.g. an SR-like object). */
  noPixelData?: boolean;
  /** Native encoding of the data set (default explicit). Use convertTransferSyntax for compression. */
  encoding?: 'explicit' | 'implicit' | 'big';
  /** Write the 128-byte preamble + 'DICM' (default true). */
  preamble?: boolean;
  /** Write File Meta Information (default true; false writes a bare data set). */
  fileMeta?: boolean;
  /** Wrap given codestreams as encapsulated pixel data (fragments per frame) under this syntax. */
  encapsulated?: { transferSyntaxUid: string; frames: Uint8Array[][]; basicOffsetTable?: boolean };
  /** Extra elements (override defaults with the same tag). */
  extra?: WriteElement[];
}

const ROOT = '1.2.826.0.1.3680043.10.1000';
const SOP_CLASS: Record<string, string> = {
  CR: '1.2.840.10008.5.1.4.1.1.1',
  DX: '1.2.840.10008.5.1.4.1.1.1.1',
  CT: '1.2.840.10008.5.1.4.1.1.2',
  MR: '1.2.840.10008.5.1.4.1.1.4',
  US: '1.2.840.10008.5.1.4.1.1.3.1',
  IO: '1.2.840.10008.5.1.4.1.1.1.3',
  XC: '1.2.840.10008.5.1.4.1.1.77.1.4',
  OT: '1.2.840.10008.5.1.4.1.1.7',
};

const code = (c: TestCode): WriteElement[] => [el('CodeValue', 'SH', c.value), el('CodingSchemeDesignator', 'SH', c.scheme), el('CodeMeaning', 'LO', c.meaning)];

/** Builds the data set elements (without File Meta) for the options. */
export function makeElements(o: MakeDicomOptions = {}): { elements: WriteElement[]; sopClassUid: string; sopInstanceUid: string } {
  const seed = o.seed ?? 1;
  const modality = o.modality ?? 'DX';
  const sopClassUid = o.sopClassUid ?? SOP_CLASS[modality] ?? SOP_CLASS.OT!;
  const instanceNumber = o.instanceNumber ?? 1;
  const sopInstanceUid = o.sopInstanceUid ?? `${ROOT}.${seed}.1.1.${instanceNumber}`;
  const frames = o.frames ?? 1;
  const spp = o.samplesPerPixel ?? 1;
  const bitsAllocated = o.bitsAllocated ?? 16;
  const bitsStored = o.bitsStored ?? (bitsAllocated === 8 ? 8 : 12);
  const rows = o.rows ?? 64;
  const columns = o.columns ?? 64;
  const otherIds = o.otherPatientIds ?? [{ id: '985112003456789', issuer: 'ISO 11784 microchip', type: 'RFID' }];
  const elements: WriteElement[] = [
    el('SpecificCharacterSet', 'CS', o.specificCharacterSet ?? 'ISO_IR 192'),
    el('ImageType', 'CS', 'ORIGINAL\\PRIMARY'),
    el('SOPClassUID', 'UI', sopClassUid),
    el('SOPInstanceUID', 'UI', sopInstanceUid),
    el('StudyDate', 'DA', o.studyDate ?? '20240315'),
    el('StudyTime', 'TM', o.studyTime ?? '101500'),
    el('AccessionNumber', 'SH', o.accessionNumber ?? `ACC${seed}`),
    el('Modality', 'CS', modality),
    el('InstitutionName', 'LO', o.institutionName ?? 'Riverside Veterinary Hospital'),
    el('ReferringPhysicianName', 'PN', o.referringPhysicianName ?? 'Herriot^James^^Dr'),
    el('StationName', 'SH', o.stationName ?? 'XRAY1'),
    el('StudyDescription', 'LO', o.studyDescription ?? 'Thorax 3 views'),
    el('SeriesDescription', 'LO', o.seriesDescription ?? 'Thorax RL'),
    el('PatientName', 'PN', o.patientName ?? 'Smith^Rex'),
    el('PatientID', 'LO', o.patientId ?? 'C-10442'),
    el('IssuerOfPatientID', 'LO', o.issuerOfPatientId ?? 'RIVERSIDE'),
    el('PatientBirthDate', 'DA', o.birthDate ?? '20180704'),
    el('PatientSex', 'CS', o.sex ?? 'M'),
    el('OtherPatientIDsSequence', 'SQ', otherIds.map((i) => [el('PatientID', 'LO', i.id), el('IssuerOfPatientID', 'LO', i.issuer), el('TypeOfPatientID', 'CS', i.type)])),
    el('PatientWeight', 'DS', String(o.weight ?? 32.5)),
    el('PatientSpeciesDescription', 'LO', o.species ?? 'Canine'),
    el('PatientSpeciesCodeSequence', 'SQ', o.speciesCode ? [code(o.speciesCode)] : []),
    el('PatientSexNeutered', 'CS', o.neutered ?? 'ALTERED'),
    el('PatientBreedDescription', 'LO', o.breed ?? 'Labrador Retriever'),
    el('PatientBreedCodeSequence', 'SQ', o.breedCode ? [code(o.breedCode)] : []),
    el('BreedRegistrationSequence', 'SQ', (o.breedRegistrations ?? []).map((r) => [el('BreedRegistrationNumber', 'LO', r.number), el('BreedRegistryCodeSequence', 'SQ', r.registry ? [code({ value: r.registry, scheme: '99VET', meaning: r.registry })] : [])])),
    el('ResponsiblePerson', 'PN', o.responsiblePerson ?? 'Smith^Jane'),
    el('ResponsiblePersonRole', 'CS', o.responsiblePersonRole ?? 'OWNER'),
    el('ResponsibleOrganization', 'LO', o.responsibleOrganization),
    el('BodyPartExamined', 'CS', o.bodyPartExamined ?? 'THORAX'),
    el('PatientOrientation', 'CS', 'L\\F'),
    el('AnatomicalOrientationType', 'CS', 'QUADRUPED'),
    el('StudyInstanceUID', 'UI', o.studyInstanceUid ?? `${ROOT}.${seed}.1`),
    el('SeriesInstanceUID', 'UI', o.seriesInstanceUid ?? `${ROOT}.${seed}.1.1`),
    el('StudyID', 'SH', `S${seed}`),
    el('SeriesNumber', 'IS', String(o.seriesNumber ?? 1)),
    el('InstanceNumber', 'IS', String(instanceNumber)),
  ];
  if (!o.noPixelData) {
    elements.push(
      el('SamplesPerPixel', 'US', spp),
      el('PhotometricInterpretation', 'CS', spp === 3 ? 'RGB' : 'MONOCHROME2'),
      el('Rows', 'US', rows),
      el('Columns', 'US', columns),
      el('PixelSpacing', 'DS', '0.139\\0.139'),
      el('BitsAllocated', 'US', bitsAllocated),
      el('BitsStored', 'US', bitsStored),
      el('HighBit', 'US', bitsStored - 1),
      el('PixelRepresentation', 'US', 0),
      el('WindowCenter', 'DS', String(2 ** (bitsStored - 1))),
      el('WindowWidth', 'DS', String(2 ** bitsStored)),
    );
    if (spp === 3) elements.push(el('PlanarConfiguration', 'US', 0));
    if (frames > 1 || o.encapsulated) elements.push(el('NumberOfFrames', 'IS', String(o.encapsulated ? o.encapsulated.frames.length : frames)));
    if (o.encapsulated) {
      const fragments = o.encapsulated.frames.flat();
      const offsets: number[] = [];
      let at = 0;
      for (const frame of o.encapsulated.frames) {
        offsets.push(at);
        for (const f of frame) at += 8 + f.length + (f.length % 2);
      }
      elements.push({ tag: 0x7fe00010, vr: 'OB', encapsulated: { offsets: o.encapsulated.basicOffsetTable ? offsets : [], fragments } });
    } else {
      const pixels = makePixels({ rows, columns, bitsAllocated, bitsStored, samplesPerPixel: spp, frames });
      elements.push({ tag: 0x7fe00010, vr: bitsAllocated === 8 ? 'OB' : 'OW', value: pixels });
    }
  }
  const extraTags = new Set((o.extra ?? []).map((e) => e.tag));
  return { elements: [...elements.filter((e) => !extraTags.has(e.tag)), ...(o.extra ?? [])], sopClassUid, sopInstanceUid };
}

/**
 * A realistic veterinary Part-10 file in memory (Explicit VR Little Endian by default): preamble,
 * File Meta (PS3.10 §7.1), patient/vet, study, series and image attributes, deterministic pixels.
 */
export function makeDicom(o: MakeDicomOptions = {}): Buffer {
  const { elements, sopClassUid, sopInstanceUid } = makeElements(o);
  const encoding = o.encoding ?? 'explicit';
  const enc: Encoding = { explicit: encoding !== 'implicit', littleEndian: encoding !== 'big' };
  if (encoding === 'big') {
    // OW pixel data is byte-swapped in Explicit VR Big Endian (PS3.5 §7.3); OB is not.
    for (const e of elements) if (e.tag === 0x7fe00010 && e.vr === 'OW' && e.value instanceof Uint8Array) e.value = Buffer.from(e.value).swap16();
  }
  const transferSyntaxUid =
    o.encapsulated?.transferSyntaxUid ??
    { explicit: TransferSyntax.ExplicitVRLittleEndian, implicit: TransferSyntax.ImplicitVRLittleEndian, big: TransferSyntax.ExplicitVRBigEndian }[encoding];
  const utf8 = (o.specificCharacterSet ?? 'ISO_IR 192') === 'ISO_IR 192';
  const body = writeDataset(elements, enc, utf8);
  const parts: Buffer[] = [];
  if (o.preamble !== false && o.fileMeta !== false) parts.push(Buffer.alloc(128), Buffer.from('DICM', 'latin1'));
  if (o.fileMeta !== false) parts.push(writeFileMeta({ sopClassUid, sopInstanceUid, transferSyntaxUid }));
  parts.push(body);
  return Buffer.concat(parts);
}
