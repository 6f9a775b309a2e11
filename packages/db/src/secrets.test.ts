import { describe, expect, it } from 'vitest';
import {
  generateApiToken,
  generateGatewayCredentials,
  hashPassword,
  hexDigestsEqual,
  parseApiToken,
  sha256Hex,
  verifyPassword,
} from './secrets';

describe('API tokens', () => {
  it('round-trips: the parsed hash is the stored hash and the prefix is visible', () => {
    const { token, prefix, secretHash } = generateApiToken();
    expect(token).toMatch(/^vp_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect(token.startsWith(`vp_${prefix}_`)).toBe(true);
    expect(parseApiToken(token)).toEqual({ prefix, secretHash });
  });

  it('rejects malformed tokens', () => {
    expect(parseApiToken('')).toBeNull();
    expect(parseApiToken('vp_12345678_short')).toBeNull();
    expect(parseApiToken(`xx_12345678_${'a'.repeat(43)}`)).toBeNull();
  });

  it('never stores the secret itself', () => {
    const { token, secretHash } = generateApiToken();
    expect(token).not.toContain(secretHash);
    expect(secretHash).toBe(sha256Hex(token.slice(12)));
  });
});

describe('gateway credentials', () => {
  it('hashes the secret with SHA-256 and compares in constant time', () => {
    const { keyId, secret, secretHash } = generateGatewayCredentials();
    expect(keyId).toMatch(/^gw_[0-9a-f]{16}$/);
    expect(hexDigestsEqual(sha256Hex(secret), secretHash)).toBe(true);
    expect(hexDigestsEqual(sha256Hex(`${secret}x`), secretHash)).toBe(false);
    expect(hexDigestsEqual('', '')).toBe(false);
    expect(hexDigestsEqual('ab', 'abab')).toBe(false);
  });
});

describe('passwords', () => {
  it('argon2id hashes verify only the right password', async () => {
    const hash = await hashPassword('a long enough password');
    expect(hash.startsWith('$argon2id$')).toBe(true);
    expect(await verifyPassword(hash, 'a long enough password')).toBe(true);
    expect(await verifyPassword(hash, 'A long enough password')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'x')).toBe(false);
  });
});
