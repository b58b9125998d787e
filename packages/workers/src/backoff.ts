/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"): a uniform draw from [0, min(max, base·2^attempt)].
 * Spreads retries of many failing items instead of synchronising them.
 */
export function fullJitterBackoff(attempt: number, options: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(random() * ceiling);
}
