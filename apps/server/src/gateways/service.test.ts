import type { GatewayInfo } from '@vetpacs/db';
import { describe, expect, it } from 'vitest';
import { gatewayStatus } from './service';

const now = Date.parse('2026-03-01T12:00:00Z');
const base: GatewayInfo = {
  id: 'g1', practiceId: 'p', siteId: 's', name: 'Main', keyId: 'k', createdAt: new Date(now - 86_400_000), revokedAt: null, version: '0.1.0',
  lastSeenAt: new Date(now - 60_000),
  heartbeat: { queue: { queued: 3, failedPermanent: 0 }, lastCStoreByAe: [{ callingAe: 'XRAY1', at: '2026-03-01T11:00:00.000Z', stores: 9 }, { callingAe: 'US1', at: '2026-02-01T11:00:00.000Z', stores: 2 }] },
};
const opts = { now, silentAfterMs: 10 * 60_000, modalitySilentAfterMs: 7 * 86_400_000 };

describe('gatewayStatus', () => {
  it('flags a modality that stopped sending, not one that is active', () => {
    const s = gatewayStatus(base, opts);
    expect(s.silent).toBe(false);
    expect(s.modalities).toEqual([
      { callingAeTitle: 'XRAY1', lastCStoreAt: '2026-03-01T11:00:00.000Z', stores: 9, silent: false },
      { callingAeTitle: 'US1', lastCStoreAt: '2026-02-01T11:00:00.000Z', stores: 2, silent: true },
    ]);
    expect(s.alerts.map((a) => a.kind)).toEqual(['MODALITY_SILENT']);
  });
  it('flags a gateway without a recent heartbeat, and rejected instances', () => {
    const s = gatewayStatus({ ...base, lastSeenAt: new Date(now - 3_600_000), heartbeat: { queue: { failedPermanent: 2 } } }, opts);
    expect(s.silent).toBe(true);
    expect(s.alerts.map((a) => a.kind)).toEqual(['GATEWAY_SILENT', 'REJECTED_INSTANCES']);
    expect(gatewayStatus({ ...base, lastSeenAt: null, heartbeat: null }, opts).alerts[0]?.message).toBe('never reported');
  });
  it('tolerates a malformed stored heartbeat', () => {
    expect(gatewayStatus({ ...base, heartbeat: { queue: 'nonsense' } }, opts).queue).toBeNull();
  });
});
