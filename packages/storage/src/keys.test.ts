import { describe, expect, it } from 'vitest';
import { InvalidObjectKeyError } from './errors';
import { assertValidKey, assertValidPrefix } from './keys';

describe('assertValidKey', () => {
  it.each([
    'a',
    'studies/1.2.840.113619.2.55/series/1.2.3/instances/1.2.3.4.dcm',
    'Bello (Labrador)/Röntgen ü.dcm',
    'a/.tmp',
    '..a/b..',
  ])('accepts %j', (key) => {
    expect(() => assertValidKey(key)).not.toThrow();
  });

  it('accepts exactly 1024 bytes and rejects 1025 (also counting multi-byte characters)', () => {
    expect(() => assertValidKey('x'.repeat(1024))).not.toThrow();
    expect(() => assertValidKey('x'.repeat(1025))).toThrow(/1024 bytes/);
    expect(() => assertValidKey('é'.repeat(512))).not.toThrow();
    expect(() => assertValidKey('é'.repeat(513))).toThrow(/1024 bytes/); // 513 characters, 1026 bytes
  });

  it.each([
    ['', /empty/],
    ['/abs', /start with "\/"/],
    ['../x', /"\.\." segment/],
    ['a/../../b', /"\.\." segment/],
    ['a/..', /"\.\." segment/],
    ['./a', /"\." segment/],
    ['a//b', /empty segment/],
    ['a/', /end with "\/"/],
    ['a\\b', /backslash/],
    ['a\0b', /control characters/],
    ['a\u007fb', /control characters/],
    ['a\u0085b', /control characters/],
    ['bad\uD800surrogate', /well-formed/],
  ])('rejects %j', (key, reason) => {
    expect(() => assertValidKey(key)).toThrow(InvalidObjectKeyError);
    expect(() => assertValidKey(key)).toThrow(reason);
  });
});

describe('assertValidPrefix', () => {
  it.each(['', 'studies/', 'studies/1.2', 'a/b/'])('accepts %j', (p) => {
    expect(() => assertValidPrefix(p)).not.toThrow();
  });
  it.each(['/x', '../', 'a/../', '..', 'a\\', 'a//'])('rejects %j', (p) => {
    expect(() => assertValidPrefix(p)).toThrow(InvalidObjectKeyError);
  });
});
