/**
 * One page request, as every list use case and repository takes it. Sizes are
 * clamped, not refused (0 means the default); offsets (v1 paging) are bounded
 * so a deep offset cannot become an expensive scan.
 */
export interface PageRequest {
  size: number;
  /** Opaque cursor from the previous page; '' for the first. */
  token: string;
  offset: number;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
export const MAX_OFFSET = 10_000;

/** A requested page size → the one used: the default for 0 or nonsense, at most `max`. */
export function pageSize(requested: number | undefined, fallback = DEFAULT_PAGE_SIZE, max = MAX_PAGE_SIZE): number {
  if (requested === undefined || !Number.isFinite(requested) || requested <= 0) return fallback;
  return Math.min(Math.floor(requested), max);
}

/** The wire's paging fields (`common.v1.PageRequest`) → a clamped PageRequest. */
export function pageRequest(page: { pageSize?: number; pageToken?: string; offset?: number } | undefined): PageRequest {
  const offset = page?.offset ?? 0;
  return { size: pageSize(page?.pageSize), token: page?.pageToken ?? '', offset: Number.isFinite(offset) ? Math.max(0, Math.min(Math.floor(offset), MAX_OFFSET)) : 0 };
}
