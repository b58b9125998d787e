/**
 * How one environment carries every part's settings: a part's own variables
 * under its prefix (`ORDERS__DATABASE_CLUSTERS` is orders' DATABASE_CLUSTERS).
 * No dependencies, so the runner and the tests can build a monolith's
 * environment without loading the parts.
 */
export const prefixOf = (part: string): string => `${part.toUpperCase()}__`;

/** Each part's environment under its prefix, as one environment. */
export function prefixedEnv(parts: Record<string, Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [part, vars] of Object.entries(parts)) for (const [key, value] of Object.entries(vars)) if (value !== undefined) env[`${prefixOf(part)}${key}`] = value;
  return env;
}
