import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, fields, parseByteSize, parseConfig } from './index';

describe('parseConfig', () => {
  const schema = z.object({ DATABASE_URL: fields.postgresUrl, PORT: fields.port, S3_BUCKET: z.string().min(3) }).strict();

  it('returns a frozen typed config', () => {
    const cfg = parseConfig(schema, { DATABASE_URL: 'postgres://u@h:5432/db', PORT: '8080', S3_BUCKET: 'abc' });
    expect(cfg.PORT).toBe(8080);
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('reports every problem, one per entry', () => {
    try {
      parseConfig(schema.strip(), { DATABASE_URL: 'nonsense', PORT: '99999' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems.join('\n')).toMatch(/DATABASE_URL/);
      expect(problems.join('\n')).toMatch(/PORT/);
      expect(problems.join('\n')).toMatch(/S3_BUCKET/);
    }
  });
});

describe('parseByteSize', () => {
  it('understands units', () => {
    expect(parseByteSize('10MB')).toBe(10_000_000);
    expect(parseByteSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseByteSize(42)).toBe(42);
    expect(parseByteSize('lots')).toBeNull();
  });
});
