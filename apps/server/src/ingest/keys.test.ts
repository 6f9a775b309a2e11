import { describe, expect, it } from 'vitest';
import { originalObjectKey } from './keys';

describe('originalObjectKey', () => {
  const practice = '93337961-0999-4ea9-b87a-fc3b1b8d8e9c';
  const sop = '2.25.209496639358993850893235408753816991332';

  it('is practice + the UTC hour of receipt + UID + a unique suffix', () => {
    const at = new Date('2026-12-05T07:59:59.999Z');
    const key = originalObjectKey(practice, sop, at);
    expect(key).toMatch(new RegExp(`^practices/${practice}/originals/2026/12/05/07/${sop.replaceAll('.', '\\.')}\\.${at.getTime().toString(36)}-[0-9a-f]{12}\\.dcm$`));
    expect(originalObjectKey(practice, sop, new Date('2026-12-31T23:00:00Z'))).toContain('/originals/2026/12/31/23/');
    // Each hour gets its own directory, also across a year's end.
    expect(originalObjectKey(practice, sop, new Date('2027-01-01T00:00:00Z'))).toContain('/originals/2027/01/01/00/');
    expect(originalObjectKey(practice, sop, new Date('2026-12-05T08:00:00.000Z'))).toContain('/originals/2026/12/05/08/');
    expect(originalObjectKey(practice, sop, at)).toContain('/originals/2026/12/05/07/');
  });

  it('never repeats for the same instance (a re-send or a new version never overwrites an object)', () => {
    const at = new Date();
    const keys = new Set(Array.from({ length: 1000 }, () => originalObjectKey(practice, sop, at)));
    expect(keys.size).toBe(1000);
  });
});
