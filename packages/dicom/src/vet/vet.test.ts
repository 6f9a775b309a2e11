import { describe, expect, it } from 'vitest';
import { readDicomHeader } from '../parse/read-header';
import { makeDicom } from '../testing';
import type { PatientNameStyle } from './names';
import { extractVetPatient } from './patient';
import { normalizeForSearch, searchText } from './search';
import { normalizeSpecies } from './species';

const parse = (o: Parameters<typeof makeDicom>[0]) => readDicomHeader(makeDicom(o), { complete: true }).dataset;

describe('PatientName styles', () => {
  it.each<[PatientNameStyle, string, string | undefined, string | undefined]>([
    ['OWNER_PET', 'Smith^Rex', 'Rex', 'Smith'],
    ['OWNER_PET', 'Smith Farm Ltd^Daisy', 'Daisy', 'Smith Farm Ltd'],
    ['OWNER_PET', 'Smith', undefined, 'Smith'],
    ['PET', 'Rex', 'Rex', undefined],
    ['PET', 'Mr^Whiskers', 'Mr Whiskers', undefined],
    ['PET_OWNER', 'Rex^Smith', 'Rex', 'Smith'],
    ['PET_OWNER', 'Rex Smith', 'Rex', 'Smith'],
    ['PET_OWNER', 'Rex Van Dyke', 'Rex', 'Van Dyke'],
    ['OWNER_COMMA_PET', 'Smith, Rex', 'Rex', 'Smith'],
    ['OWNER_COMMA_PET', 'Smith^Rex', 'Rex', 'Smith'],
  ])('%s %j → pet %j, owner %j', (style, name, pet, owner) => {
    const p = extractVetPatient(parse({ patientName: name, responsiblePerson: '' }), style);
    expect(p.rawPatientName).toBe(name);
    expect(p.petName).toBe(pet);
    expect(p.ownerFamilyName).toBe(owner);
    expect(p.ownerName).toBe(owner);
  });

  it('ResponsiblePerson wins for the owner', () => {
    const p = extractVetPatient(parse({ patientName: 'Rex', responsiblePerson: 'García^María' }), 'PET');
    expect(p.petName).toBe('Rex');
    expect(p.ownerFamilyName).toBe('García');
    expect(p.ownerName).toBe('María García');
    expect(p.searchText).toContain('garcia');
  });
});

describe('vet attributes', () => {
  it('reads species, breed, registration, neutered, microchip, responsible party', () => {
    const p = extractVetPatient(
      parse({
        species: 'Hund',
        speciesCode: { value: '448771007', scheme: 'SCT', meaning: 'Canis lupus familiaris' },
        breed: 'Border Collie',
        breedCode: { value: '1234', scheme: 'SCT', meaning: 'Border collie dog breed' },
        breedRegistrations: [{ number: 'KC-AB123', registry: 'Kennel Club' }],
        neutered: 'UNALTERED',
        sex: 'F',
        weight: 18.2,
        responsibleOrganization: 'Happy Paws Rescue',
        responsiblePersonRole: 'OWNER',
        otherPatientIds: [{ id: 'TAT-99', type: 'TEXT' }, { id: '276098106123456', issuer: 'ISO 11784/11785' }],
      }),
    );
    expect(p).toMatchObject({
      speciesDescription: 'Hund',
      speciesNormalized: 'Canine',
      speciesCode: { value: '448771007', scheme: 'SCT', meaning: 'Canis lupus familiaris' },
      breedDescription: 'Border Collie',
      breedCode: { value: '1234' },
      breedRegistration: [{ number: 'KC-AB123', registry: 'Kennel Club' }],
      neutered: 'UNALTERED',
      sex: 'F',
      weight: 18.2,
      birthDate: '2018-07-04',
      microchip: '276098106123456',
      responsibleOrganization: 'Happy Paws Rescue',
      responsiblePersonRole: 'OWNER',
      patientId: 'C-10442',
      issuer: 'RIVERSIDE',
    });
  });

  it.each([
    [[{ id: '985112003456789', type: 'RFID' }], '985112003456789'],
    [[{ id: 'ABC123', issuer: 'Microchip registry' }], 'ABC123'],
    [[{ id: '900 164 000 123 456', type: 'TEXT' }], '900164000123456'],
    [[{ id: '12345', type: 'TEXT' }], undefined],
  ])('microchip from %j → %s', (ids, chip) => {
    expect(extractVetPatient(parse({ otherPatientIds: ids })).microchip).toBe(chip);
  });

  it('neutered is UNKNOWN when empty', () => {
    const ds = parse({ extra: [{ tag: 0x00102203, vr: 'CS', value: '' }] });
    expect(extractVetPatient(ds).neutered).toBe('UNKNOWN');
  });
});

describe('species normalisation', () => {
  it.each([
    ['Dog', 'Canine'], ['CANINE', 'Canine'], ['K9', 'Canine'], ['K-9', 'Canine'], ['Hund', 'Canine'], ['chien', 'Canine'], ['Perro', 'Canine'],
    ['Cat', 'Feline'], ['feline', 'Feline'], ['Katze', 'Feline'], ['Domestic shorthair cat', 'Feline'],
    ['Horse', 'Equine'], ['Equine', 'Equine'], ['Pferd', 'Equine'], ['Pony', 'Equine'],
    ['Cow', 'Bovine'], ['Sheep', 'Ovine'], ['Goat', 'Caprine'], ['Chèvre', 'Caprine'], ['Pig', 'Porcine'],
    ['Rabbit', 'Lagomorph'], ['Kaninchen', 'Lagomorph'], ['Parrot', 'Avian'], ['Bearded dragon', 'Reptile'], ['Tortoise', 'Reptile'],
    ['Guinea pig', 'Rodent'], ['Hamster', 'Rodent'], ['Ferret', 'Exotic'],
    ['Canis lupus familiaris', 'Canine'], ['', undefined], ['Unicorn', undefined],
  ])('%j → %s', (text, group) => {
    expect(normalizeSpecies(text)).toBe(group);
  });
});

describe('search text', () => {
  it('strips accents and separators', () => {
    expect(normalizeForSearch('Müller^Bärli')).toBe('muller barli');
    expect(normalizeForSearch('  Ærø  Straße ')).toBe('aero strasse');
    expect(normalizeForSearch('François, Chloé')).toBe('francois chloe');
    expect(searchText('Rex', 'Smith', 'Smith^Rex', undefined)).toBe('rex smith');
  });

  it('normalises plain ASCII (its fast path) exactly as the Unicode rules do', () => {
    const unicodeRules = (s: string) => s.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
    const ascii = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('');
    const samples = ['SMITH^Rex', ' k-9 ', 'Dog_(Canine) 12/3', '\t\x00Tab\x7f', ascii, ascii.split('').reverse().join('')];
    for (const s of samples) expect(normalizeForSearch(s), JSON.stringify(s)).toBe(unicodeRules(s));
    // Non-ASCII still takes the Unicode path (a combining accent next to ASCII letters).
    expect(normalizeForSearch('Zoe\u0308 CAFE\u0301')).toBe('zoe cafe');
  });

  it('decodes UTF-8 names by Specific Character Set', () => {
    const p = extractVetPatient(parse({ patientName: 'Müller^Bärli', responsiblePerson: '' }));
    expect(p.petName).toBe('Bärli');
    expect(p.searchText).toContain('barli');
    expect(p.searchText).toContain('muller');
  });

  it('decodes Latin-1 names', () => {
    const p = extractVetPatient(parse({ specificCharacterSet: 'ISO_IR 100', patientName: 'Müller^Bärli', responsiblePerson: '' }));
    expect(p.ownerFamilyName).toBe('Müller');
  });
});
