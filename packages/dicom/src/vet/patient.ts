import type { DataSet } from 'dicom-parser';
import { decoderOf, readFirst, readItems, readNumber, readString } from '../parse/attributes';
import type { TextDecode } from '../parse/charset';
import { formatPersonName, type PatientNameStyle, parsePersonName, splitPatientName } from './names';
import { searchText } from './search';
import { normalizeSpecies, type SpeciesGroup } from './species';

/** A coded concept (PS3.3 §8.8 Code Sequence Macro). */
export interface CodedConcept {
  value?: string;
  scheme?: string;
  meaning?: string;
}

/** An entry of OtherPatientIDsSequence (0010,1002). */
export interface OtherPatientId {
  id: string;
  issuer?: string;
  type?: string;
}

/** The animal, its owner and the practice's identifiers, as indexed and searched. */
export interface VetPatientInfo {
  patientId?: string;
  issuer?: string;
  rawPatientName?: string;
  petName?: string;
  /** Owner display name: ResponsiblePerson when present, else from PatientName per style. */
  ownerName?: string;
  ownerFamilyName?: string;
  speciesDescription?: string;
  speciesCode?: CodedConcept;
  speciesNormalized?: SpeciesGroup;
  breedDescription?: string;
  breedCode?: CodedConcept;
  breedRegistration: { number?: string; registry?: string }[];
  /** PatientSex (0010,0040): M, F or O. */
  sex?: string;
  neutered: 'ALTERED' | 'UNALTERED' | 'UNKNOWN';
  /** ISO date (YYYY-MM-DD) from PatientBirthDate (0010,0030) when it is a valid DA. */
  birthDate?: string;
  microchip?: string;
  otherIds: OtherPatientId[];
  responsiblePerson?: string;
  responsiblePersonRole?: string;
  responsibleOrganization?: string;
  /** PatientWeight (0010,1030) in kg. */
  weight?: number;
  /** Accent-free lower-case text of the searchable identity fields. */
  searchText: string;
}

function coded(ds: DataSet, decode: TextDecode): CodedConcept | undefined {
  const c: CodedConcept = {
    value: readFirst(ds, 'CodeValue', decode),
    scheme: readFirst(ds, 'CodingSchemeDesignator', decode),
    meaning: readFirst(ds, 'CodeMeaning', decode),
  };
  return c.value || c.meaning ? c : undefined;
}

function isoDate(da: string | undefined): string | undefined {
  const m = da && /^(\d{4})(\d{2})(\d{2})$/.exec(da);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

/**
 * Picks the microchip from OtherPatientIDsSequence: an item typed RFID, or whose issuer mentions a
 * chip / ISO 11784-11785 (the animal transponder standards); failing both, an ID of exactly 15
 * digits (the ISO 11784 FDX-B number format).
 */
export function findMicrochip(ids: OtherPatientId[]): string | undefined {
  const chipIssuer = /chip|transponder|rfid|11784|11785/i;
  const typed = ids.find((i) => i.type?.toUpperCase() === 'RFID' || (i.issuer !== undefined && chipIssuer.test(i.issuer)));
  if (typed) return typed.id.replace(/\s+/g, '');
  return ids.find((i) => /^\d{15}$/.test(i.id.replace(/\s+/g, '')))?.id.replace(/\s+/g, '');
}

/**
 * Veterinary identity of the patient (DICOM CP-643 attributes, see docs/vet-domain.md).
 * ResponsiblePerson (0010,2297) wins over PatientName for the owner; the raw PatientName is kept.
 */
export function extractVetPatient(dataset: DataSet, style: PatientNameStyle = 'OWNER_PET', decode?: TextDecode): VetPatientInfo {
  const d = decode ?? decoderOf(dataset);
  const rawPatientName = readString(dataset, 'PatientName', d);
  const split = splitPatientName(rawPatientName, style);
  const responsiblePerson = readString(dataset, 'ResponsiblePerson', d);
  const rp = parsePersonName(responsiblePerson);
  const ownerFamilyName = rp.family ?? split.ownerFamilyName;
  const ownerName = responsiblePerson ? formatPersonName(responsiblePerson) : split.ownerFamilyName;

  const otherIds: OtherPatientId[] = readItems(dataset, 'OtherPatientIDsSequence').flatMap((item) => {
    const id = readFirst(item, 'PatientID', d);
    return id ? [{ id, issuer: readFirst(item, 'IssuerOfPatientID', d), type: readFirst(item, 'TypeOfPatientID', d) }] : [];
  });
  const speciesCode = readItems(dataset, 'PatientSpeciesCodeSequence').map((i) => coded(i, d))[0];
  const breedCode = readItems(dataset, 'PatientBreedCodeSequence').map((i) => coded(i, d))[0];
  const speciesDescription = readFirst(dataset, 'PatientSpeciesDescription', d);
  const breedDescription = readFirst(dataset, 'PatientBreedDescription', d);
  const breedRegistration = readItems(dataset, 'BreedRegistrationSequence').map((item) => ({
    number: readFirst(item, 'BreedRegistrationNumber', d),
    registry: readItems(item, 'BreedRegistryCodeSequence').map((c) => coded(c, d)?.meaning)[0],
  }));
  const neuteredRaw = readFirst(dataset, 'PatientSexNeutered', d)?.toUpperCase();
  const microchip = findMicrochip(otherIds);
  const patientId = readFirst(dataset, 'PatientID', d);
  const info: Omit<VetPatientInfo, 'searchText'> = {
    patientId,
    issuer: readFirst(dataset, 'IssuerOfPatientID', d),
    rawPatientName,
    petName: split.petName,
    ownerName,
    ownerFamilyName,
    speciesDescription,
    speciesCode,
    speciesNormalized: normalizeSpecies(speciesDescription) ?? normalizeSpecies(speciesCode?.meaning),
    breedDescription,
    breedCode,
    breedRegistration,
    sex: readFirst(dataset, 'PatientSex', d)?.toUpperCase(),
    neutered: neuteredRaw === 'ALTERED' || neuteredRaw === 'UNALTERED' ? neuteredRaw : 'UNKNOWN',
    birthDate: isoDate(readFirst(dataset, 'PatientBirthDate', d)),
    microchip,
    otherIds,
    responsiblePerson,
    responsiblePersonRole: readFirst(dataset, 'ResponsiblePersonRole', d),
    responsibleOrganization: readFirst(dataset, 'ResponsibleOrganization', d),
    weight: readNumber(dataset, 'PatientWeight'),
  };
  return {
    ...info,
    searchText: searchText(info.petName, ownerName, ownerFamilyName, rawPatientName, info.responsibleOrganization, patientId, microchip, speciesDescription, breedDescription),
  };
}

