export type Role = 'OWNER_ADMIN' | 'VET' | 'NURSE' | 'READ_ONLY';

/** The authenticated caller of a request. Every data access is scoped by `practiceId`. */
export interface AuthContext {
  practiceId: string;
  role: Role;
  actor: { type: 'USER' | 'API_TOKEN' | 'GATEWAY'; id: string };
  /** Gateways are bound to one site: studies they send record it as the site of origin. */
  siteId: string | null;
}

/** What authentication needs from storage (implemented over @vetpacs/db). */
export interface CredentialVerifier {
  verifyApiToken(token: string): Promise<{ practiceId: string; tokenId: string; role: Role } | null>;
  verifyGatewayCredentials(keyId: string, secret: string): Promise<{ practiceId: string; siteId: string; gatewayId: string } | null>;
  verifySession(token: string): Promise<{ practiceId: string; userId: string; role: Role } | null>;
}
