/**
 * Tells an error that means "a service this server depends on cannot serve now" (a database
 * restart or failover, a refused or broken connection) from a fault of the server itself, so that
 * the client gets 503 and a Retry-After instead of 500: gateways, modalities and scripts retry the
 * one and report the other. Ingest is idempotent (keys from DICOM UIDs), so an upload sent again
 * after an outage is safe, also when the outcome of the failed request is unknown.
 */

/**
 * Postgres SQLSTATEs of a database that cannot serve now: connection exceptions (class 08),
 * admin or crash shutdown and "cannot connect now" (57P01–57P03), too many connections (53300);
 * and Prisma's codes for an unreachable or closed database and an exhausted pool.
 */
const DATABASE_CODES = /^(08[0-9A-Z]{3}|57P0[123]|53300|P1001|P1002|P1008|P1017|P2024)$/;
/** What node-postgres says when its connection ends or cannot be made in time. */
const DATABASE_MESSAGES = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/;
/** A connection refused, reset or timed out: the peer is down or unreachable. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Which kind of dependency `err` (or an error it was caused by) says is unavailable, if any. */
export function unavailableDependency(err: unknown): 'database' | 'service' | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && DATABASE_CODES.test(code)) return 'database';
    if (e instanceof Error && DATABASE_MESSAGES.test(e.message)) return 'database';
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'service';
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The reason a client is given when `err` says a dependency is unavailable (a 503), if it does. */
export function unavailableReason(err: unknown): string | undefined {
  const dependency = unavailableDependency(err);
  if (!dependency) return undefined;
  return `${dependency === 'database' ? 'the database is' : 'a service this server depends on is'} unavailable; retry in a few seconds`;
}
