export interface ReadinessCheck {
  ok: boolean;
  error?: string;
  ms: number;
}

export interface Readiness {
  check(): Promise<Record<string, ReadinessCheck>>;
}

/** Runs named probes in parallel, each with a timeout, and reports which failed and why. */
export function createReadiness(probes: Record<string, () => Promise<unknown>>, timeoutMs = 3000): Readiness {
  return {
    async check() {
      const entries = await Promise.all(
        Object.entries(probes).map(async ([name, probe]) => {
          const t0 = performance.now();
          try {
            await withTimeout(probe(), timeoutMs, name);
            return [name, { ok: true, ms: Math.round(performance.now() - t0) }] as const;
          } catch (err) {
            return [name, { ok: false, error: (err as Error).message, ms: Math.round(performance.now() - t0) }] as const;
          }
        }),
      );
      return Object.fromEntries(entries);
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}
