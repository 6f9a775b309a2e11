import type { GatewayInfo } from '@vetpacs/db';
import { z } from 'zod';

/** What a gateway reports (see apps/gateway/src/heartbeat.ts); unknown keys are dropped. */
export const heartbeatSchema = z.object({
  version: z.string().max(50).optional(),
  aeTitle: z.string().max(16).optional(),
  queue: z.record(z.string().max(40), z.number().int().nonnegative()).optional(),
  oldestPendingAt: z.string().datetime().nullable().optional(),
  diskFreeBytes: z.number().nonnegative().nullable().optional(),
  throughputBytesPerSec: z.number().nonnegative().optional(),
  lastError: z.object({ at: z.string(), message: z.string().max(1000) }).nullable().optional(),
  lastCStoreByAe: z.array(z.object({ callingAe: z.string().max(16), at: z.string().datetime(), stores: z.number().int().nonnegative() })).max(500).optional(),
  commitmentsPending: z.number().int().nonnegative().optional(),
});

export type Heartbeat = z.infer<typeof heartbeatSchema>;

/**
 * The portal's view of one gateway. `silent` when no heartbeat came for `silentAfterMs` (the PC is
 * off, or the site is offline); a modality is silent when its last C-STORE is older than
 * `modalitySilentAfterMs`. Both become alerts, as do instances the cloud rejected.
 */
export function gatewayStatus(g: GatewayInfo, opts: { now: number; silentAfterMs: number; modalitySilentAfterMs: number }) {
  const parsed = heartbeatSchema.safeParse(g.heartbeat ?? {});
  const hb: Heartbeat = parsed.success ? parsed.data : {};
  const silent = !g.revokedAt && (!g.lastSeenAt || opts.now - g.lastSeenAt.getTime() > opts.silentAfterMs);
  const modalities = (hb.lastCStoreByAe ?? []).map((m) => ({
    callingAeTitle: m.callingAe,
    lastCStoreAt: m.at,
    stores: m.stores,
    silent: opts.now - Date.parse(m.at) > opts.modalitySilentAfterMs,
  }));
  const alerts: { kind: 'GATEWAY_SILENT' | 'MODALITY_SILENT' | 'REJECTED_INSTANCES'; message: string }[] = [];
  if (silent) alerts.push({ kind: 'GATEWAY_SILENT', message: g.lastSeenAt ? `no heartbeat since ${g.lastSeenAt.toISOString()}` : 'never reported' });
  for (const m of modalities.filter((x) => x.silent)) alerts.push({ kind: 'MODALITY_SILENT', message: `${m.callingAeTitle}: no images since ${m.lastCStoreAt}` });
  const rejected = hb.queue?.failedPermanent ?? 0;
  if (rejected > 0) alerts.push({ kind: 'REJECTED_INSTANCES', message: `${rejected} instance(s) rejected by the cloud are held at the gateway` });
  return {
    id: g.id,
    siteId: g.siteId,
    name: g.name,
    version: g.version,
    lastSeenAt: g.lastSeenAt?.toISOString() ?? null,
    revoked: g.revokedAt !== null,
    silent,
    queue: hb.queue ?? null,
    oldestPendingAt: hb.oldestPendingAt ?? null,
    diskFreeBytes: hb.diskFreeBytes ?? null,
    lastError: hb.lastError ?? null,
    modalities,
    alerts,
  };
}
