const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The JSON pointer of the first string in a decoded request that holds a NUL
 * character, or undefined. Postgres text cannot store U+0000 (error 22021),
 * so such input is refused as invalid at the boundary instead of failing
 * deep inside as a server error. Bytes fields and dates are not strings and
 * are skipped. Runs on every request: the pointer is built only on a hit.
 */
export function findNulString(value: unknown): string | undefined {
  const path = nulPath(value);
  return path === undefined ? undefined : `/${path.join('/')}`.replace(/\/$/, '') || '/';
}

function nulPath(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? [] : undefined;
  if (value === null || typeof value !== 'object' || value instanceof Date || ArrayBuffer.isView(value)) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulPath(value[i]);
      if (found) return [String(i), ...found];
    }
    return undefined;
  }
  for (const key in value) {
    const found = nulPath((value as Record<string, unknown>)[key]);
    if (found) return [snake(key), ...found];
  }
  return undefined;
}
