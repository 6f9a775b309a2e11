/** How a device or practice fills PatientName (0010,0010) for animals. */
export type PatientNameStyle = 'OWNER_PET' | 'PET' | 'PET_OWNER' | 'OWNER_COMMA_PET';

/** Components of the alphabetic group of a PN value (PS3.5 §6.2.1.1). */
export interface PersonNameParts {
  family?: string;
  given?: string;
  middle?: string;
  prefix?: string;
  suffix?: string;
}

const clean = (s: string | undefined): string | undefined => {
  const t = s?.replace(/\s+/g, ' ').trim();
  return t ? t : undefined;
};

/** Splits the alphabetic component group of a PN value into its five components. */
export function parsePersonName(pn: string | undefined): PersonNameParts {
  const alphabetic = (pn ?? '').split('=')[0] ?? '';
  const [family, given, middle, prefix, suffix] = alphabetic.split('^');
  return { family: clean(family), given: clean(given), middle: clean(middle), prefix: clean(prefix), suffix: clean(suffix) };
}

/** Human display form of a PN: `'Smith^John^^Dr'` → `'Dr John Smith'`. */
export function formatPersonName(pn: string | undefined): string | undefined {
  const p = parsePersonName(pn);
  return clean([p.prefix, p.given, p.middle, p.family, p.suffix].filter(Boolean).join(' '));
}

/** Pet and owner as read from PatientName under a given style. */
export interface SplitName {
  petName?: string;
  ownerFamilyName?: string;
}

/**
 * Reads pet and owner out of PatientName. The veterinary standard (CP-643) is `Owner^Pet`: family
 * name component = owner (or organisation), given name component = animal. Real files also use
 * `Pet`, `Pet^Owner`, `Pet Owner` and `Owner, Pet` (see docs/vet-domain.md), hence the style,
 * which a practice sets per device.
 */
export function splitPatientName(pn: string | undefined, style: PatientNameStyle): SplitName {
  const alphabetic = (pn ?? '').split('=')[0] ?? '';
  const hasCaret = alphabetic.includes('^');
  const p = parsePersonName(alphabetic);
  switch (style) {
    case 'PET':
      return { petName: clean(alphabetic.replace(/\^+/g, ' ')) };
    case 'PET_OWNER': {
      if (hasCaret) return { petName: p.family, ownerFamilyName: p.given };
      // `Pet Owner` without a caret: the first word is the animal, the rest the owner.
      const words = (clean(alphabetic) ?? '').split(' ');
      return { petName: clean(words[0]), ownerFamilyName: clean(words.slice(1).join(' ')) };
    }
    case 'OWNER_COMMA_PET': {
      if (!hasCaret && alphabetic.includes(',')) {
        const at = alphabetic.indexOf(',');
        return { ownerFamilyName: clean(alphabetic.slice(0, at)), petName: clean(alphabetic.slice(at + 1)) };
      }
      return { ownerFamilyName: p.family, petName: p.given };
    }
    default:
      // A value without caret under OWNER_PET is a family name component alone, i.e. the owner.
      return { ownerFamilyName: p.family, petName: p.given };
  }
}
