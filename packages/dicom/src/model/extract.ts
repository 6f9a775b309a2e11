import type { DataSet } from 'dicom-parser';
import { decoderOf, readFirst, readNumber, readString } from '../parse/attributes';
import type { TextDecode } from '../parse/charset';
import { trimUidPadding } from '../uid';

/** Study-level attributes indexed for QIDO-RS and the worklist UI. */
export interface StudyInfo {
  studyInstanceUid?: string;
  studyDate?: string;
  studyTime?: string;
  accessionNumber?: string;
  studyDescription?: string;
  referringPhysicianName?: string;
  studyId?: string;
  institutionName?: string;
  stationName?: string;
}

/** Series-level attributes. */
export interface SeriesInfo {
  seriesInstanceUid?: string;
  modality?: string;
  seriesNumber?: number;
  seriesDescription?: string;
  bodyPartExamined?: string;
}

/** Instance-level attributes. */
export interface InstanceInfo {
  sopClassUid?: string;
  sopInstanceUid?: string;
  instanceNumber?: number;
  numberOfFrames: number;
  rows?: number;
  columns?: number;
  bitsAllocated?: number;
  bitsStored?: number;
  samplesPerPixel?: number;
  photometricInterpretation?: string;
  pixelRepresentation?: number;
}

const uid = (ds: DataSet, k: 'StudyInstanceUID' | 'SeriesInstanceUID' | 'SOPClassUID' | 'SOPInstanceUID'): string | undefined => {
  const v = readString(ds, k);
  return v === undefined ? undefined : trimUidPadding(v);
};

/** Study attributes (General Study module, PS3.3 §C.7.2.1) plus institution and station. */
export function extractStudy(dataset: DataSet, decode?: TextDecode): StudyInfo {
  const d = decode ?? decoderOf(dataset);
  return {
    studyInstanceUid: uid(dataset, 'StudyInstanceUID'),
    studyDate: readFirst(dataset, 'StudyDate', d),
    studyTime: readFirst(dataset, 'StudyTime', d),
    accessionNumber: readFirst(dataset, 'AccessionNumber', d),
    studyDescription: readString(dataset, 'StudyDescription', d)?.trim(),
    referringPhysicianName: readString(dataset, 'ReferringPhysicianName', d)?.trim(),
    studyId: readFirst(dataset, 'StudyID', d),
    institutionName: readString(dataset, 'InstitutionName', d)?.trim(),
    stationName: readFirst(dataset, 'StationName', d),
  };
}

/** Series attributes (General Series module, PS3.3 §C.7.3.1). */
export function extractSeries(dataset: DataSet, decode?: TextDecode): SeriesInfo {
  const d = decode ?? decoderOf(dataset);
  return {
    seriesInstanceUid: uid(dataset, 'SeriesInstanceUID'),
    modality: readFirst(dataset, 'Modality', d),
    seriesNumber: readNumber(dataset, 'SeriesNumber'),
    seriesDescription: readString(dataset, 'SeriesDescription', d)?.trim(),
    bodyPartExamined: readFirst(dataset, 'BodyPartExamined', d),
  };
}

/** Instance and image-pixel attributes (SOP Common, Image Pixel modules, PS3.3 §C.12.1, §C.7.6.3). */
export function extractInstance(dataset: DataSet): InstanceInfo {
  const frames = readNumber(dataset, 'NumberOfFrames');
  return {
    sopClassUid: uid(dataset, 'SOPClassUID'),
    sopInstanceUid: uid(dataset, 'SOPInstanceUID'),
    instanceNumber: readNumber(dataset, 'InstanceNumber'),
    numberOfFrames: frames && frames > 0 ? Math.trunc(frames) : 1,
    rows: readNumber(dataset, 'Rows'),
    columns: readNumber(dataset, 'Columns'),
    bitsAllocated: readNumber(dataset, 'BitsAllocated'),
    bitsStored: readNumber(dataset, 'BitsStored'),
    samplesPerPixel: readNumber(dataset, 'SamplesPerPixel'),
    photometricInterpretation: readFirst(dataset, 'PhotometricInterpretation'),
    pixelRepresentation: readNumber(dataset, 'PixelRepresentation'),
  };
}
