/**
 * Browser sessions: an opaque random token in an HTTP-only cookie; the database keeps only its
 * SHA-256 (Session.id), so a leaked table hands out no live cookie. auth/verifier.ts resolves the
 * cookie on every request; this module creates and ends sessions and guards cookie-authenticated
 * writes against cross-site request forgery.
 */
import { randomBytes } from 'node:crypto';
import { type DbClient, sha256Hex } from '@vetpacs/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../lib/errors';
import { SESSION_COOKIE } from './plugin';

/** A working day plus margin: a vet signs in once per shift. */
export const SESSION_TTL_MS = 12 * 3600_000;

/** Header every state-changing portal request carries (see {@link csrfGuard}). */
export const CSRF_HEADER = 'x-requested-with';
export const CSRF_VALUE = 'vetpacs';

/** Creates a session row and returns the cookie token (the only time it exists in clear). */
export async function createSession(
  db: DbClient,
  input: { userId: string; practiceId: string },
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db.session.create({ data: { id: sha256Hex(token), userId: input.userId, practiceId: input.practiceId, expiresAt } });
  // Expired rows are dead weight only; trimming them here keeps the table small without a cron.
  await db.session.deleteMany({ where: { userId: input.userId, expiresAt: { lt: new Date() } } });
  return { token, expiresAt };
}

/** Ends the session behind a cookie token (no error when it is already gone). */
export async function deleteSession(db: DbClient, token: string): Promise<void> {
  await db.session.deleteMany({ where: { id: sha256Hex(token) } });
}

/** `Set-Cookie` value for a new session. `Secure` whenever the request came over HTTPS. */
export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  return cookie(encodeURIComponent(token), maxAge, secure);
}

/** `Set-Cookie` value that removes the session cookie. */
export function clearSessionCookie(secure: boolean): string {
  return cookie('', 0, secure);
}

function cookie(value: string, maxAge: number, secure: boolean): string {
  // SameSite=Lax: links from e-mail still open the portal signed in; cross-site POSTs carry no
  // cookie. HttpOnly: no script (nor an XSS) can read the token.
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

/** Reads the raw session token from the Cookie header. */
export function sessionToken(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * True when the request passes the CSRF checks: an `Origin` (when the browser sends one) equal to
 * ours or an allowed origin, and the custom {@link CSRF_HEADER}, which a cross-site page cannot
 * add without a CORS preflight that we do not grant.
 */
export function passesCsrfCheck(req: FastifyRequest, allowedOrigins: readonly string[]): boolean {
  if (req.headers[CSRF_HEADER] !== CSRF_VALUE) return false;
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    const o = new URL(origin);
    return o.host === req.host || allowedOrigins.includes(o.origin);
  } catch {
    return false;
  }
}

/**
 * Rejects (403) state-changing requests authenticated by the session cookie that fail
 * {@link passesCsrfCheck}. Bearer and Basic callers are not affected: browsers never attach those
 * on their own. Register after the auth plugin (hooks run in registration order).
 */
export const csrfGuard = fp<{ allowedOrigins: readonly string[] }>(
  async (app: FastifyInstance, { allowedOrigins }) => {
    app.addHook('onRequest', async (req) => {
      if (SAFE_METHODS.has(req.method) || req.auth?.actor.type !== 'USER' || req.headers.authorization) return;
      if (!passesCsrfCheck(req, allowedOrigins)) {
        throw new AppError(403, 'CSRF', `cookie-authenticated ${req.method} needs the ${CSRF_HEADER} header from our own origin`);
      }
    });
  },
  { name: 'csrf-guard', dependencies: ['auth'] },
);
