/**
 * Users and their memberships. A user (one person, one email) may belong to several practices;
 * everything here except {@link authenticateUser} is scoped by practiceId through the membership,
 * so a practice only ever sees and changes its own members.
 */
import type { DbClient } from '../client';
import type { Membership, Role } from '../generated/prisma/client';
import { generatePassword, hashPassword, verifyPassword } from '../secrets';
import { type Actor, recordAudit } from './audit';
import { RepoError } from './errors';
import { inTransaction } from './tx';

/** A practice member as shown to admins (never includes the password hash). */
export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  hasPassword: boolean;
  createdAt: Date;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MIN_PASSWORD = 10;

/** Emails are stored lower-cased (a CHECK constraint enforces it). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD) {
    throw new RepoError('INVALID', `password must be at least ${MIN_PASSWORD} characters`);
  }
}

const memberSelect = {
  role: true,
  createdAt: true,
  user: { select: { id: true, email: true, name: true, disabled: true, passwordHash: true } },
} as const;

function toMember(m: {
  role: Role;
  createdAt: Date;
  user: { id: string; email: string; name: string; disabled: boolean; passwordHash: string | null };
}): Member {
  return {
    userId: m.user.id,
    email: m.user.email,
    name: m.user.name,
    role: m.role,
    disabled: m.user.disabled,
    hasPassword: m.user.passwordHash !== null,
    createdAt: m.createdAt,
  };
}

/** Input for {@link createUser}. Without `password`, a random one is generated and returned once. */
export interface CreateUserInput {
  email: string;
  name: string;
  role: Role;
  password?: string;
}

/** Result of {@link createUser}. `generatedPassword` is set only when one was generated. */
export interface CreateUserResult {
  member: Member;
  /** True when the email already had an account: it gained a membership, nothing else changed. */
  existingUser: boolean;
  generatedPassword: string | null;
}

/**
 * Adds a member to the practice, creating the account when the email is new. An existing account
 * keeps its name and password (another practice must not be able to reset them this way).
 * Throws RepoError CONFLICT when the person is already a member.
 */
export async function createUser(
  db: DbClient,
  practiceId: string,
  input: CreateUserInput,
  actor: Actor,
): Promise<CreateUserResult> {
  const email = normaliseEmail(input.email);
  if (!EMAIL_RE.test(email)) throw new RepoError('INVALID', `invalid email "${input.email}"`);
  if (!input.name.trim()) throw new RepoError('INVALID', 'name must not be empty');
  if (input.password !== undefined) checkPassword(input.password);
  // Hash outside the transaction: argon2 is deliberately slow.
  const generatedPassword = input.password === undefined ? generatePassword() : null;
  const passwordHash = await hashPassword(input.password ?? generatedPassword!);
  return inTransaction(db, async (tx) => {
    const practice = await tx.practice.findUnique({ where: { id: practiceId }, select: { id: true } });
    if (!practice) throw new RepoError('NOT_FOUND', 'practice not found');
    let user = await tx.user.findUnique({ where: { email } });
    const existingUser = user !== null;
    if (!user) {
      user = await tx.user.create({ data: { email, name: input.name.trim(), passwordHash } });
      await recordAudit(tx, {
        practiceId,
        actor,
        action: 'user.create',
        entityType: 'user',
        entityId: user.id,
        details: { email },
      });
    } else if (await tx.membership.findUnique({ where: { userId_practiceId: { userId: user.id, practiceId } } })) {
      throw new RepoError('CONFLICT', `${email} is already a member of this practice`);
    }
    const membership = await tx.membership.create({
      data: { userId: user.id, practiceId, role: input.role },
      select: memberSelect,
    });
    await recordAudit(tx, {
      practiceId,
      actor,
      action: 'membership.create',
      entityType: 'user',
      entityId: user.id,
      details: { email, role: input.role },
    });
    return {
      member: toMember(membership),
      existingUser,
      generatedPassword: existingUser ? null : generatedPassword,
    };
  });
}

/** The practice's members, by email. */
export async function listUsers(db: DbClient, practiceId: string): Promise<Member[]> {
  const rows = await db.membership.findMany({
    where: { practiceId },
    select: memberSelect,
    orderBy: { user: { email: 'asc' } },
  });
  return rows.map(toMember);
}

/** One member by user id; null when the user is not a member of this practice. */
export async function getMember(db: DbClient, practiceId: string, userId: string): Promise<Member | null> {
  const row = await db.membership.findUnique({
    where: { userId_practiceId: { userId, practiceId } },
    select: memberSelect,
  });
  return row ? toMember(row) : null;
}

/** One member by email; null when no such member in this practice. */
export async function getMemberByEmail(db: DbClient, practiceId: string, email: string): Promise<Member | null> {
  const row = await db.membership.findFirst({
    where: { practiceId, user: { email: normaliseEmail(email) } },
    select: memberSelect,
  });
  return row ? toMember(row) : null;
}

/**
 * Sets a member's password (and ends their sessions). False when the user is not a member of
 * this practice. Without `password`, a random one is generated and returned.
 */
export async function setUserPassword(
  db: DbClient,
  practiceId: string,
  userId: string,
  password: string | undefined,
  actor: Actor,
): Promise<{ ok: boolean; generatedPassword: string | null }> {
  if (password !== undefined) checkPassword(password);
  const generatedPassword = password === undefined ? generatePassword() : null;
  const passwordHash = await hashPassword(password ?? generatedPassword!);
  return inTransaction(db, async (tx) => {
    const membership = await tx.membership.findUnique({ where: { userId_practiceId: { userId, practiceId } } });
    if (!membership) return { ok: false, generatedPassword: null };
    await tx.user.update({ where: { id: userId }, data: { passwordHash } });
    await tx.session.deleteMany({ where: { userId } });
    await recordAudit(tx, {
      practiceId,
      actor,
      action: 'user.set_password',
      entityType: 'user',
      entityId: userId,
    });
    return { ok: true, generatedPassword };
  });
}

/** Changes a member's role; null when the user is not a member of this practice. */
export function setMemberRole(
  db: DbClient,
  practiceId: string,
  userId: string,
  role: Role,
  actor: Actor,
): Promise<Member | null> {
  return inTransaction(db, async (tx) => {
    const { count } = await tx.membership.updateMany({ where: { userId, practiceId }, data: { role } });
    if (!count) return null;
    await recordAudit(tx, {
      practiceId,
      actor,
      action: 'membership.set_role',
      entityType: 'user',
      entityId: userId,
      details: { role },
    });
    return getMember(tx, practiceId, userId);
  });
}

/** Removes a member from the practice (the account stays); ends their sessions there. */
export function removeMember(db: DbClient, practiceId: string, userId: string, actor: Actor): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const { count } = await tx.membership.deleteMany({ where: { userId, practiceId } });
    if (!count) return false;
    await tx.session.deleteMany({ where: { userId, practiceId } });
    await recordAudit(tx, {
      practiceId,
      actor,
      action: 'membership.remove',
      entityType: 'user',
      entityId: userId,
    });
    return true;
  });
}

/** Who signed in, and where they may act. */
export interface AuthenticatedUser {
  userId: string;
  email: string;
  name: string;
  memberships: Pick<Membership, 'practiceId' | 'role'>[];
}

// A valid argon2id hash of a random string: verifying against it when the email is unknown keeps
// the response time the same as for a wrong password (no account enumeration by timing).
let dummyHash: Promise<string> | undefined;

/** Checks email + password (login). Null for unknown, disabled, password-less or wrong. */
export async function authenticateUser(db: DbClient, email: string, password: string): Promise<AuthenticatedUser | null> {
  const user = await db.user.findUnique({
    where: { email: normaliseEmail(email) },
    include: { memberships: { select: { practiceId: true, role: true } } },
  });
  if (!user?.passwordHash) {
    dummyHash ??= hashPassword(generatePassword());
    await verifyPassword(await dummyHash, password);
    return null;
  }
  const ok = await verifyPassword(user.passwordHash, password);
  if (!ok || user.disabled) return null;
  return { userId: user.id, email: user.email, name: user.name, memberships: user.memberships };
}
