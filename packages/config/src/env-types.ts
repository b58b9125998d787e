import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Reusable environment variable types, parsed from strings. */

export const port = (fallback?: number) => {
  const schema = z.coerce.number().int().min(0).max(65535);
  return fallback === undefined ? schema : schema.default(fallback);
};

export const milliseconds = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

export const host = (fallback: string) => z.string().min(1).default(fallback);

export const logLevel = () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

export const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .default(fallback);

export const postgresUrl = () =>
  z
    .string()
    .url()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL');

/** A JSON value in a variable, validated by `schema` after parsing. */
export const json = <T extends z.ZodTypeAny>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

/** A path to a JSON file (e.g. a mounted ConfigMap), read and validated by `schema` at start: a missing or bad file is a config error, not a stack trace. */
export const jsonFile = <T extends z.ZodTypeAny>(schema: T) =>
  z
    .string()
    .transform((path, ctx) => {
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})` });
        return z.NEVER;
      }
    })
    .pipe(json(schema));
