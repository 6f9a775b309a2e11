import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { forbidden, unauthorized } from '../lib/errors';
import type { AuthContext, CredentialVerifier, Role } from './types';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

export const SESSION_COOKIE = 'vp_session';

/**
 * Resolves the caller from, in order: `Authorization: Bearer <api token>`, `Authorization: Basic
 * <gateway key id>:<secret>` (gateways; tus clients can send any header), or the portal's session
 * cookie (same-origin viewer requests). Routes then call `requireAuth(req, roles?)`.
 */
export const authPlugin = fp<{ verifier: CredentialVerifier }>(
  async (app: FastifyInstance, { verifier }) => {
    app.decorateRequest('auth', null);
    app.addHook('onRequest', async (req) => {
      req.auth = await authenticate(req, verifier);
    });
  },
  { name: 'auth' },
);

async function authenticate(req: FastifyRequest, verifier: CredentialVerifier): Promise<AuthContext | null> {
  const header = req.headers.authorization;
  if (header) {
    const [scheme = '', value = ''] = header.split(/\s+/, 2);
    if (/^bearer$/i.test(scheme)) {
      const t = await verifier.verifyApiToken(value);
      if (!t) throw unauthorized('invalid or revoked API token');
      return { practiceId: t.practiceId, role: t.role, actor: { type: 'API_TOKEN', id: t.tokenId }, siteId: null };
    }
    if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 1) throw unauthorized('malformed Basic credentials');
      const g = await verifier.verifyGatewayCredentials(decoded.slice(0, colon), decoded.slice(colon + 1));
      if (!g) throw unauthorized('invalid or revoked gateway credentials');
      // Gateways may upload and read their own receipts; VET-level data access is not granted.
      return { practiceId: g.practiceId, role: 'NURSE', actor: { type: 'GATEWAY', id: g.gatewayId }, siteId: g.siteId };
    }
    throw unauthorized(`unsupported Authorization scheme ${scheme}`);
  }
  const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
  if (cookie) {
    const s = await verifier.verifySession(cookie);
    if (s) return { practiceId: s.practiceId, role: s.role, actor: { type: 'USER', id: s.userId }, siteId: null };
  }
  return null;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** Returns the caller or throws 401; with `roles`, throws 403 for any other role. */
export function requireAuth(req: FastifyRequest, roles?: readonly Role[]): AuthContext {
  if (!req.auth) throw unauthorized();
  if (roles && !roles.includes(req.auth.role)) throw forbidden();
  return req.auth;
}

/** Roles allowed to send images (uploads, STOW). READ_ONLY users cannot. */
export const UPLOAD_ROLES: readonly Role[] = ['OWNER_ADMIN', 'VET', 'NURSE'];
