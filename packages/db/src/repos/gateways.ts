/**
 * Edge gateways. Each authenticates with a public keyId and a secret shown once at creation; the
 * secret is stored as SHA-256 (it is 256 random bits, so a slow hash adds nothing).
 */
import type { DbClient } from '../client';
import type { Gateway, Prisma } from '../generated/prisma/client';
import { generateGatewayCredentials, hexDigestsEqual, sha256Hex } from '../secrets';
import { type Actor, recordAudit } from './audit';
import { RepoError } from './errors';
import { inTransaction } from './tx';

/** A gateway as listed to admins: everything but the secret hash. */
export type GatewayInfo = Omit<Gateway, 'secretHash'>;

const infoSelect = {
  id: true,
  practiceId: true,
  siteId: true,
  name: true,
  keyId: true,
  createdAt: true,
  lastSeenAt: true,
  revokedAt: true,
  heartbeat: true,
  version: true,
} as const;

/** Registers a gateway at one of the practice's sites; `secret` is returned only here. */
export function createGateway(
  db: DbClient,
  practiceId: string,
  input: { siteId: string; name: string },
  actor: Actor,
): Promise<{ gateway: GatewayInfo; keyId: string; secret: string }> {
  if (!input.name.trim()) throw new RepoError('INVALID', 'gateway name must not be empty');
  const { keyId, secret, secretHash } = generateGatewayCredentials();
  return inTransaction(db, async (tx) => {
    const site = await tx.site.findFirst({ where: { id: input.siteId, practiceId }, select: { id: true } });
    if (!site) throw new RepoError('NOT_FOUND', 'site not found');
    const gateway = await tx.gateway.create({
      data: { practiceId, siteId: site.id, name: input.name.trim(), keyId, secretHash },
      select: infoSelect,
    });
    await recordAudit(tx, {
      practiceId,
      actor,
      action: 'gateway.create',
      entityType: 'gateway',
      entityId: gateway.id,
      details: { name: gateway.name, keyId, siteId: site.id },
    });
    return { gateway, keyId, secret };
  });
}

/** The practice's gateways (revoked included), newest first. */
export function listGateways(db: DbClient, practiceId: string): Promise<GatewayInfo[]> {
  return db.gateway.findMany({ where: { practiceId }, select: infoSelect, orderBy: { createdAt: 'desc' } });
}

/** One gateway of the practice; null when absent. */
export function getGateway(db: DbClient, practiceId: string, gatewayId: string): Promise<GatewayInfo | null> {
  return db.gateway.findFirst({ where: { id: gatewayId, practiceId }, select: infoSelect });
}

/** Revokes a gateway by id; false when not this practice's or already revoked. */
export function revokeGateway(db: DbClient, practiceId: string, gatewayId: string, actor: Actor): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const { count } = await tx.gateway.updateMany({
      where: { id: gatewayId, practiceId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (!count) return false;
    await recordAudit(tx, {
      practiceId,
      actor,
      action: 'gateway.revoke',
      entityType: 'gateway',
      entityId: gatewayId,
    });
    return true;
  });
}

/** Records a gateway's periodic status report (not audited: it is telemetry, not a change). */
export async function recordGatewayHeartbeat(
  db: DbClient,
  practiceId: string,
  gatewayId: string,
  report: { heartbeat: Prisma.InputJsonValue; version?: string | null },
): Promise<boolean> {
  const { count } = await db.gateway.updateMany({
    where: { id: gatewayId, practiceId, revokedAt: null },
    data: { lastSeenAt: new Date(), heartbeat: report.heartbeat, version: report.version ?? undefined },
  });
  return count > 0;
}

/** What valid gateway credentials grant. */
export interface GatewayPrincipal {
  practiceId: string;
  siteId: string;
  gatewayId: string;
}

// Compared against when the keyId is unknown, so both paths do the same work.
const DUMMY_HASH = sha256Hex('vetpacs-no-such-gateway');

/** Checks gateway credentials (constant-time on the secret). Null when unknown, wrong or revoked. */
export async function verifyGatewayCredentials(
  db: DbClient,
  keyId: string,
  secret: string,
): Promise<GatewayPrincipal | null> {
  const row = await db.gateway.findUnique({
    where: { keyId },
    select: { id: true, practiceId: true, siteId: true, secretHash: true, revokedAt: true },
  });
  const matches = hexDigestsEqual(sha256Hex(secret), row?.secretHash ?? DUMMY_HASH);
  if (!row || !matches || row.revokedAt) return null;
  return { practiceId: row.practiceId, siteId: row.siteId, gatewayId: row.id };
}
