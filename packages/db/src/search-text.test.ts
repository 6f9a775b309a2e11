import { describe, expect, it } from 'vitest';
import { normaliseForSearch, patientSearchText } from './search-text';

describe('patient search text', () => {
  it('lower-cases, strips accents and DICOM name separators', () => {
    expect(normaliseForSearch('Müller^Rex')).toBe('muller rex');
    expect(normaliseForSearch('  ÉLODIE,  Café ')).toBe('elodie cafe');
  });

  it('joins the present parts and skips empty ones', () => {
    expect(patientSearchText(['Rex', null, 'Müller', undefined, ' ', '985112003456789'])).toBe(
      'rex muller 985112003456789',
    );
  });

  it('lets a normalised query match regardless of accents or case', () => {
    const text = patientSearchText(['Björn', 'Ångström']);
    expect(text).toContain(normaliseForSearch('ANGSTROM'));
  });
});
