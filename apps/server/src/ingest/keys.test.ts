import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { originalObjectKey } from './keys';

describe('originalObjectKey', () => {
  const practice = '93337961-0999-4ea9-b87a-fc3b1b8d8e9c';
  const sop = '2.25.209496639358993850893235408753816991332';

  it('is practice + shard (first three hex digits of SHA-256 of the SOP Instance UID) + UID + a unique suffix', () => {
    const shard = createHash('sha256').update(sop).digest('hex').slice(0, 3);
    const key = originalObjectKey(practice, sop);
    expect(key).toMatch(new RegExp(`^practices/${practice}/originals/${shard}/${sop.replaceAll('.', '\\.')}\\.[0-9a-z]+-[0-9a-f]{12}\\.dcm$`));
  });

  it('never repeats for the same instance (a re-send or a new version never overwrites an object)', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => originalObjectKey(practice, sop)));
    expect(keys.size).toBe(1000);
  });
});
