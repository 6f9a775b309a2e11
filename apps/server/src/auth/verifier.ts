import { type Db, sha256Hex, verifyApiToken, verifyGatewayCredentials } from '@vetpacs/db';
import type { CredentialVerifier } from './types';

/** CredentialVerifier over the database: API tokens and gateway secrets by hash, sessions by hashed cookie. */
export function createCredentialVerifier(db: Db): CredentialVerifier {
  return {
    verifyApiToken: (token) => verifyApiToken(db, token),
    verifyGatewayCredentials: (keyId, secret) => verifyGatewayCredentials(db, keyId, secret),
    async verifySession(token) {
      const session = await db.session.findUnique({
        where: { id: sha256Hex(token) },
        select: { userId: true, practiceId: true, expiresAt: true, user: { select: { disabled: true, memberships: { select: { practiceId: true, role: true } } } } },
      });
      if (!session || session.expiresAt.getTime() < Date.now() || session.user.disabled) return null;
      const membership = session.user.memberships.find((m) => m.practiceId === session.practiceId);
      if (!membership) return null;
      return { practiceId: session.practiceId, userId: session.userId, role: membership.role };
    },
  };
}
