/**
 * @vetpacs/dicom: pure DICOM model shared by ingest, worker and gateway: tag dictionary, streaming
 * header parsing with pixel data offsets, veterinary identity, DICOM JSON.
 */
export { type Keyword, keywordToTag, type TagKey, tag, tagHex, tagNumber, tagToKeyword, vrOf } from './dictionary/tags';
export { type DicomErrorCode, DicomValidationError } from './errors';
export {
  type DicomJsonDataset,
  type DicomJsonElement,
  type DicomJsonOptions,
  type DicomJsonPersonName,
  type DicomJsonSource,
  datasetToDicomJson,
  dicomJsonPersonName,
} from './json/dicom-json';
export { extractInstance, extractSeries, extractStudy, type InstanceInfo, type SeriesInfo, type StudyInfo } from './model/extract';
export { type AttrKey, decoderOf, elementOf, readFirst, readItems, readNumber, readString, readStrings, valueBytes } from './parse/attributes';
export { decoderFor, type TextDecode } from './parse/charset';
export type { ByteRange, FrameLocation } from './parse/frames';
export { HeaderCollector, type HeaderOptions } from './parse/header-collector';
export { HeaderTap, type ReadHeaderOptions, readDicomHeader } from './parse/read-header';
export type { FileMeta, ParsedInstance, PixelDataLocation } from './parse/types';
export { supportedTransferSyntaxes, TransferSyntax, type TransferSyntaxInfo, transferSyntaxInfo } from './transfer-syntax';
export { isValidUid, MAX_UID_LENGTH, trimUidPadding } from './uid';
export { formatPersonName, type PatientNameStyle, type PersonNameParts, parsePersonName, splitPatientName } from './vet/names';
export { type CodedConcept, extractVetPatient, findMicrochip, type OtherPatientId, type VetPatientInfo } from './vet/patient';
export { normalizeForSearch, searchText } from './vet/search';
export { normalizeSpecies, type SpeciesGroup } from './vet/species';
