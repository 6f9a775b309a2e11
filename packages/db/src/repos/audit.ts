/** Audit log: every admin change records who did what to which entity. Rows are append-only. */
import type { DbClient } from '../client';
import type { ActorType, AuditEvent, Prisma } from '../generated/prisma/client';

/** Who performs an action. `id` is a user/token/gateway id, or a free-form name for CLI/SYSTEM. */
export interface Actor {
  type: ActorType;
  id?: string | null;
  sourceIp?: string | null;
}

/** An event to record. Never put secrets or password hashes in `details`. */
export interface AuditInput {
  practiceId: string | null;
  actor: Actor;
  action: string;
  entityType: string;
  entityId: string;
  details?: Prisma.InputJsonObject;
}

/** Appends one audit event. Pass the transaction client so the event commits with the change. */
export function recordAudit(db: DbClient, input: AuditInput): Promise<AuditEvent> {
  return db.auditEvent.create({
    data: {
      practiceId: input.practiceId,
      actorType: input.actor.type,
      actorId: input.actor.id ?? null,
      sourceIp: input.actor.sourceIp ?? null,
      action: input.action,
      entityType: input.entityType,
      entityId: input.entityId,
      details: input.details ?? {},
    },
  });
}

/** Filters for {@link listAuditEvents}. */
export interface AuditQuery {
  entityType?: string;
  entityId?: string;
  action?: string;
  /** Only events strictly before this time (for paging backwards). */
  before?: Date;
  /** Default 100, at most 1000. */
  limit?: number;
}

/** A practice's audit events, newest first. */
export function listAuditEvents(db: DbClient, practiceId: string, query: AuditQuery = {}): Promise<AuditEvent[]> {
  return db.auditEvent.findMany({
    where: {
      practiceId,
      entityType: query.entityType,
      entityId: query.entityId,
      action: query.action,
      at: query.before ? { lt: query.before } : undefined,
    },
    orderBy: [{ at: 'desc' }, { id: 'desc' }],
    take: Math.min(Math.max(query.limit ?? 100, 1), 1000),
  });
}
