import { z } from 'zod';

/** Thrown (or printed by {@link loadConfigOrExit}) when the environment does not satisfy a schema. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` with a strict zod schema and returns a frozen, typed config.
 * Every problem is collected (not just the first) so an operator fixes them all in one go.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): Readonly<z.infer<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const key = issue.path.join('.') || '(root)';
        return `${key}: ${issue.message}`;
      }),
    );
  }
  return Object.freeze(result.data) as Readonly<z.infer<S>>;
}

/**
 * Parses `env` with several schemas and merges their results, collecting the problems of all of
 * them. Needed because a zod refinement (e.g. "S3_BUCKET is required when STORAGE_BACKEND=s3")
 * only runs once its own object parsed cleanly: in one combined schema, an unrelated bad key would
 * hide it.
 */
export function parseConfigParts<A extends z.ZodType, B extends z.ZodType>(
  schemas: [A, B],
  env: Record<string, string | undefined>,
): Readonly<z.infer<A> & z.infer<B>> {
  const problems: string[] = [];
  const merged: Record<string, unknown> = {};
  for (const schema of schemas) {
    try {
      Object.assign(merged, parseConfig(schema, env));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  // Keys shared by several parts would otherwise be reported once per part.
  if (problems.length) throw new ConfigError([...new Set(problems)]);
  return Object.freeze(merged) as Readonly<z.infer<A> & z.infer<B>>;
}

/** Prints every problem of a {@link ConfigError} on its own line and exits 1 (process entry points). */
export function exitOnConfigError<T>(appName: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${appName}: invalid configuration\n`);
      for (const p of err.problems) process.stderr.write(`  ${p}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** {@link parseConfig}, but for process entry points: prints each problem on its own line and exits 1. */
export function loadConfigOrExit<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  appName = 'app',
): Readonly<z.infer<S>> {
  return exitOnConfigError(appName, () => parseConfig(schema, env));
}

/** Reusable field validators shared by the apps' config schemas. */
export const fields = {
  /** A postgres:// or postgresql:// URL. */
  postgresUrl: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\/[^\s]+$/.test(v) && URL.canParse(v), 'must be a postgres://user@host:port/db URL'),
  redisUrl: z.string().refine((v) => /^rediss?:\/\//.test(v) && URL.canParse(v), 'must be a redis://host:port URL'),
  httpUrl: z.string().refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), 'must be an http(s):// URL'),
  port: z.coerce.number().int().min(0).max(65535),
  /** Byte sizes such as "512MB", "2GiB" or a plain number of bytes. */
  bytes: z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = parseByteSize(v);
    if (n === null) {
      ctx.addIssue({ code: 'custom', message: `not a byte size: ${String(v)} (use e.g. 512MB)` });
      return z.NEVER;
    }
    return n;
  }),
  bool: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
};

const UNITS: Record<string, number> = {
  '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** "10MB" → 10_000_000, "2GiB" → 2147483648, 42 → 42; null when unparseable. */
export function parseByteSize(v: string | number): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.floor(v) : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  if (!m) return null;
  const unit = UNITS[m[2]!.toLowerCase()];
  return unit === undefined ? null : Math.floor(Number(m[1]) * unit);
}
