/**
 * Practices (tenants). Creating and listing practices is an operator action (CLI), so these are
 * the only functions that are not scoped by a practiceId argument.
 */
import type { DbClient } from '../client';
import type { Practice, Prisma } from '../generated/prisma/client';
import { type Actor, recordAudit } from './audit';
import { conflictAs, RepoError } from './errors';
import { inTransaction } from './tx';

const SLUG_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Input for {@link createPractice}. The slug appears in URLs: lower-case letters, digits, dashes. */
export interface CreatePracticeInput {
  name: string;
  slug: string;
  settings?: Prisma.InputJsonObject;
}

/** Creates a practice. Throws RepoError INVALID (bad slug) or CONFLICT (slug taken). */
export function createPractice(db: DbClient, input: CreatePracticeInput, actor: Actor): Promise<Practice> {
  if (!SLUG_RE.test(input.slug)) {
    throw new RepoError('INVALID', `invalid slug "${input.slug}": use lower-case letters, digits and dashes`);
  }
  if (!input.name.trim()) throw new RepoError('INVALID', 'practice name must not be empty');
  return inTransaction(db, (tx) =>
    conflictAs(`a practice with slug "${input.slug}" already exists`, async () => {
      const practice = await tx.practice.create({
        data: { name: input.name.trim(), slug: input.slug, settings: input.settings ?? {} },
      });
      await recordAudit(tx, {
        practiceId: practice.id,
        actor,
        action: 'practice.create',
        entityType: 'practice',
        entityId: practice.id,
        details: { name: practice.name, slug: practice.slug },
      });
      return practice;
    }),
  );
}

/** All practices, by name (operator view). */
export function listPractices(db: DbClient): Promise<Practice[]> {
  return db.practice.findMany({ orderBy: [{ name: 'asc' }, { slug: 'asc' }] });
}

/** Looks a practice up by slug (URL → tenant); null when unknown. */
export function getPracticeBySlug(db: DbClient, slug: string): Promise<Practice | null> {
  return db.practice.findUnique({ where: { slug } });
}

/** The practice itself; null when unknown. */
export function getPractice(db: DbClient, practiceId: string): Promise<Practice | null> {
  return db.practice.findUnique({ where: { id: practiceId } });
}

/** Renames a practice and/or replaces its settings. Null when the practice does not exist. */
export function updatePractice(
  db: DbClient,
  practiceId: string,
  changes: { name?: string; settings?: Prisma.InputJsonObject },
  actor: Actor,
): Promise<Practice | null> {
  return inTransaction(db, async (tx) => {
    const { count } = await tx.practice.updateMany({
      where: { id: practiceId },
      data: { name: changes.name?.trim(), settings: changes.settings },
    });
    if (!count) return null;
    await recordAudit(tx, {
      practiceId,
      actor,
      action: 'practice.update',
      entityType: 'practice',
      entityId: practiceId,
      details: { changed: Object.keys(changes) },
    });
    return tx.practice.findUnique({ where: { id: practiceId } });
  });
}
