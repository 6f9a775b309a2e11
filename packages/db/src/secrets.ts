/**
 * Credential formats and hashing. API tokens and gateway secrets are 256-bit random values, so a
 * plain SHA-256 is enough to store them (nothing to brute-force); passwords are human-chosen and
 * get argon2id.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';

/** SHA-256 hex of a UTF-8 string. */
export function sha256Hex(value: string): string {
  // One-shot: no Hash object per call (ingest derives every object key's shard from one).
  return hash('sha256', value, 'hex');
}

/** Constant-time comparison of two hex digests (false when the lengths differ). */
export function hexDigestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** 32 random bytes, base64url (43 characters). */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

const API_TOKEN_RE = /^vp_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;

/** A new API token `vp_<prefix>_<secret>`; the prefix is shown in listings to tell tokens apart. */
export function generateApiToken(): { token: string; prefix: string; secretHash: string } {
  const prefix = randomBytes(4).toString('hex');
  const secret = randomSecret();
  return { token: `vp_${prefix}_${secret}`, prefix, secretHash: sha256Hex(secret) };
}

/** Splits a presented API token; null when it is not in our format. */
export function parseApiToken(token: string): { prefix: string; secretHash: string } | null {
  const m = API_TOKEN_RE.exec(token);
  return m ? { prefix: m[1]!, secretHash: sha256Hex(m[2]!) } : null;
}

/** A new gateway credential: public key id plus secret (only its hash is stored). */
export function generateGatewayCredentials(): { keyId: string; secret: string; secretHash: string } {
  const keyId = `gw_${randomBytes(8).toString('hex')}`;
  const secret = randomSecret();
  return { keyId, secret, secretHash: sha256Hex(secret) };
}

/** A readable random password for accounts created without one (about 120 bits). */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}

/** argon2id hash (library defaults: m=19 MiB, t=2, p=1 — OWASP's baseline). */
export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password);
}

/** Checks a password against an argon2 hash; false (never throws) for malformed hashes. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await argon2Verify(passwordHash, password);
  } catch {
    return false;
  }
}
