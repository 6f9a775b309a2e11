import type { DbClient } from '../client';
import type { Prisma, PrismaClient } from '../generated/prisma/client';

/**
 * Runs `fn` in a transaction: a new one on the root client, or the caller's when `db` is already
 * a transaction client (so repository calls compose inside a larger transaction).
 */
export function inTransaction<T>(db: DbClient, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  if ('$transaction' in db) return (db as PrismaClient).$transaction(fn);
  return fn(db);
}
