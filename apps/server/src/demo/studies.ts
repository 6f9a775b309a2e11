import type { MakeDicomOptions } from '@vetpacs/dicom/testing';

/** One generated demo study: which site sends it and how to make its instances. */
export interface DemoStudy {
  siteCode: 'MAIN' | 'HILL';
  label: string;
  instances: MakeDicomOptions[];
}

const ROOT = '1.2.826.0.1.3680043.10.1001';
const daysAgo = (n: number) => {
  const d = new Date(Date.now() - n * 86_400_000);
  return d.toISOString().slice(0, 10).replaceAll('-', '');
};

function series(study: number, seriesNo: number, count: number, base: MakeDicomOptions): MakeDicomOptions[] {
  return Array.from({ length: count }, (_, i) => ({
    ...base,
    studyInstanceUid: `${ROOT}.${study}`,
    seriesInstanceUid: `${ROOT}.${study}.${seriesNo}`,
    sopInstanceUid: `${ROOT}.${study}.${seriesNo}.${i + 1}`,
    seriesNumber: seriesNo,
    instanceNumber: i + 1,
  }));
}

const rex: MakeDicomOptions = {
  patientName: 'Smith^Rex',
  patientId: 'RV-10231',
  species: 'Canine',
  speciesCode: { value: '448771007', scheme: 'SCT', meaning: 'Canis lupus familiaris' },
  breed: 'Labrador Retriever',
  responsiblePerson: 'Smith^Jane',
  responsiblePersonRole: 'OWNER',
  sex: 'M',
  neutered: 'ALTERED',
  birthDate: '20190412',
  otherPatientIds: [{ id: '985112003456789', type: 'RFID', issuer: 'ISO 11784' }],
};
const luna: MakeDicomOptions = {
  patientName: 'García^Luna',
  specificCharacterSet: 'ISO_IR 192',
  patientId: 'HB-2207',
  species: 'Feline',
  breed: 'Domestic Shorthair',
  responsiblePerson: 'García^Ana',
  responsiblePersonRole: 'OWNER',
  sex: 'F',
  neutered: 'ALTERED',
  birthDate: '20210105',
  otherPatientIds: [{ id: '941000024681357', type: 'RFID' }],
};
const bella: MakeDicomOptions = {
  patientName: 'Jones^Bella',
  patientId: 'RV-10877',
  species: 'Canine',
  breed: 'Border Collie',
  responsiblePerson: 'Jones^Mark',
  otherPatientIds: [{ id: '985141000223344', type: 'RFID' }],
  sex: 'F',
  neutered: 'UNALTERED',
};
const max: MakeDicomOptions = {
  patientName: 'Brown^Max',
  patientId: 'RV-09912',
  species: 'Canine',
  breed: 'German Shepherd Dog',
  responsiblePerson: 'Brown^Oliver',
  otherPatientIds: [{ id: '985141000998877', type: 'RFID' }],
  sex: 'M',
  neutered: 'UNALTERED',
};

/**
 * The demo practice's studies: radiographs (each view its own series, as ACVR recommends) of a dog
 * with a prior from the other branch, a cat abdomen, an ultrasound cine, and a small CT.
 */
export function demoStudies(): DemoStudy[] {
  const dx = { modality: 'DX', rows: 1024, columns: 1024, bitsAllocated: 16 as const, bitsStored: 12 };
  return [
    {
      siteCode: 'MAIN',
      label: 'Rex (dog) thorax, 3 views',
      instances: ['LAT R', 'LAT L', 'VD'].flatMap((view, i) =>
        series(1, i + 1, 1, { ...rex, ...dx, studyDate: daysAgo(2), studyTime: '101500', accessionNumber: 'A-24001', studyDescription: 'Thorax 3 views', seriesDescription: view, bodyPartExamined: 'CHEST', institutionName: 'Riverside Vets – Main St' }),
      ),
    },
    {
      siteCode: 'HILL',
      label: 'Rex (dog) prior thorax, 14 months ago',
      instances: ['LAT R', 'VD'].flatMap((view, i) =>
        series(2, i + 1, 1, { ...rex, ...dx, studyDate: daysAgo(425), studyTime: '143000', accessionNumber: 'H-11872', studyDescription: 'Thorax 2 views', seriesDescription: view, bodyPartExamined: 'CHEST', institutionName: 'Riverside Vets – Hillside' }),
      ),
    },
    {
      siteCode: 'HILL',
      label: 'Luna (cat) abdomen, 2 views',
      instances: ['LAT', 'VD'].flatMap((view, i) =>
        series(3, i + 1, 1, { ...luna, modality: 'CR', rows: 768, columns: 768, bitsAllocated: 16, bitsStored: 12, studyDate: daysAgo(6), accessionNumber: 'H-12010', studyDescription: 'Abdomen 2 views', seriesDescription: view, bodyPartExamined: 'ABDOMEN', institutionName: 'Riverside Vets – Hillside' }),
      ),
    },
    {
      siteCode: 'MAIN',
      label: 'Bella (dog) abdominal ultrasound cine',
      instances: series(4, 1, 1, { ...bella, modality: 'US', rows: 240, columns: 320, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8, frames: 24, studyDate: daysAgo(1), accessionNumber: 'A-24017', studyDescription: 'Abdominal ultrasound', seriesDescription: 'Liver cine', bodyPartExamined: 'ABDOMEN', institutionName: 'Riverside Vets – Main St' }),
    },
    {
      siteCode: 'MAIN',
      label: 'Max (dog) CT of the elbows, 40 slices',
      instances: series(5, 1, 40, { ...max, modality: 'CT', rows: 256, columns: 256, bitsAllocated: 16, bitsStored: 12, studyDate: daysAgo(9), accessionNumber: 'A-23950', studyDescription: 'CT elbows', seriesDescription: 'Bone 1mm', bodyPartExamined: 'ELBOW', institutionName: 'Riverside Vets – Main St' }),
    },
  ];
}
