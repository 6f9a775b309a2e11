/**
 * Exponential backoff with full jitter: the n-th retry waits a random time in
 * [0, min(max, base·2^(n-1))]. Jitter keeps the gateways of many branches from reconnecting in
 * lock-step after a cloud outage.
 */
export function backoffDelay(attempt: number, opts: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  // Never less than a tenth of the base: a zero delay would spin on a dead link.
  return Math.max(opts.baseMs / 10, Math.floor(random() * ceiling));
}
