/** Error raised by repositories for outcomes callers must handle (mapped to 404/409 by the API). */
export class RepoError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'CONFLICT' | 'INVALID',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RepoError';
  }
}

/** True for Prisma's unique-constraint violation (P2002). */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002';
}

/** Runs `fn`, turning a unique violation into a CONFLICT {@link RepoError} with `message`. */
export async function conflictAs<T>(message: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw new RepoError('CONFLICT', message, { cause: err });
    throw err;
  }
}
