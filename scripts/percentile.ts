/** Nearest-rank percentile (q in 0..1) of values sorted ascending; 0 for none. Shared by `npm run load` and `npm run chaos`. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
}
