import { describe, expect, it } from 'vitest';
import { rateAt } from './throttle';

const policy = {
  bytesPerSec: 0,
  schedule: [
    { days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00', bytesPerSec: 1_000_000 },
    { days: [], from: '22:00', to: '06:00', bytesPerSec: 5_000_000 },
  ],
};

describe('rateAt', () => {
  it('applies clinic hours on weekdays only', () => {
    expect(rateAt(policy, new Date(2026, 0, 14, 10, 30))).toBe(1_000_000); // Wednesday
    expect(rateAt(policy, new Date(2026, 0, 17, 10, 30))).toBe(0); // Saturday: unlimited
    expect(rateAt(policy, new Date(2026, 0, 14, 18, 0))).toBe(0); // window end is exclusive
  });
  it('handles windows over midnight', () => {
    expect(rateAt(policy, new Date(2026, 0, 14, 23, 0))).toBe(5_000_000);
    expect(rateAt(policy, new Date(2026, 0, 15, 5, 59))).toBe(5_000_000);
    expect(rateAt(policy, new Date(2026, 0, 15, 6, 0))).toBe(0);
  });
  it('treats Sunday as day 7', () => {
    expect(rateAt({ bytesPerSec: 0, schedule: [{ days: [7], from: '00:00', to: '23:59', bytesPerSec: 1 }] }, new Date(2026, 0, 18, 12, 0))).toBe(1);
  });
});
