import { z } from 'zod';

/** Raised once, at start, naming every bad variable, so a misconfigured pod fails fast and says why. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * Validates environment variables against a schema whose keys are the variable
 * names, and returns the typed result. Call it once in main.ts and pass the
 * result down; nothing else reads process.env.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  source: Readonly<Record<string, string | undefined>> = process.env,
): z.infer<z.ZodObject<S>> {
  // Empty strings count as unset: a Helm template that renders `VAR: ""` means "use the default".
  const input: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const value = source[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = z.object(shape).safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(root)';
        const shown = typeof issue.path[0] === 'string' && input[issue.path[0]] !== undefined ? ` (got "${redact(issue.path[0], input[issue.path[0]]!)}")` : '';
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  return result.data;
}

function redact(name: string, value: string): string {
  return /PASSWORD|SECRET|TOKEN|KEY/i.test(name) ? '***' : value.length > 80 ? `${value.slice(0, 77)}...` : value;
}
