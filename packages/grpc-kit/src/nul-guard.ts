const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The JSON pointer of the first string in a decoded request that holds a NUL
 * character, or undefined. Postgres text cannot store U+0000 (error 22021),
 * so such input is refused as invalid at the boundary instead of failing
 * deep inside as a server error. Bytes fields and dates are not strings and
 * are skipped.
 */
export function findNulString(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '/' : undefined;
  if (value === null || typeof value !== 'object' || value instanceof Date || ArrayBuffer.isView(value)) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNulString(value[i], `${path}/${i}`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    const found = findNulString(v, `${path}/${snake(key)}`);
    if (found) return found;
  }
  return undefined;
}
