import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, env, loadConfig } from '@tessera/config';

const shape = { GRPC_PORT: env.port(50051), DATABASE_URL: env.postgresUrl(), DB_PASSWORD: env.host('x'), VERBOSE: env.flag(false) };

describe('loadConfig', () => {
  test('when variables are valid or absent with defaults, then a typed config comes back', () => {
    const config = loadConfig(shape, { DATABASE_URL: 'postgres://u:p@db:5432/app', VERBOSE: 'true' });
    expect(config).toEqual({ GRPC_PORT: 50051, DATABASE_URL: 'postgres://u:p@db:5432/app', DB_PASSWORD: 'x', VERBOSE: true });
  });

  test('when several variables are bad, then one ConfigError names each of them', () => {
    let error: unknown;
    try {
      loadConfig(shape, { GRPC_PORT: '70000', DATABASE_URL: 'mysql://db/app', VERBOSE: 'yes' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^GRPC_PORT: .*\(got "70000"\)/m);
    expect(problems).toMatch(/^DATABASE_URL: must be a postgres:\/\/ URL/m);
    expect(problems).toMatch(/^VERBOSE: /m);
  });

  test('when a JSON file variable names a missing or malformed file, then the config error names the variable, not a stack trace', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'config-'));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"x": 1');
    const good = path.join(dir, 'good.json');
    writeFileSync(good, '{"x": 1}');
    const fileShape = { MAP_FILE: env.jsonFile(z.object({ x: z.number() })) };
    expect(() => loadConfig(fileShape, { MAP_FILE: path.join(dir, 'missing.json') })).toThrow(/MAP_FILE: cannot read .*missing\.json \(ENOENT\)/);
    expect(() => loadConfig(fileShape, { MAP_FILE: bad })).toThrow(/MAP_FILE: must be JSON/);
    expect(loadConfig(fileShape, { MAP_FILE: good })).toEqual({ MAP_FILE: { x: 1 } });
  });

  test('when a required variable is missing, then the error names it', () => {
    expect(() => loadConfig(shape, {})).toThrow(/DATABASE_URL/);
  });

  test('when a secret-looking variable is bad, then its value is not echoed', () => {
    const secretShape = { API_SECRET: env.port() };
    expect(() => loadConfig(secretShape, { API_SECRET: 'hunter2' })).toThrow(/API_SECRET: .*\(got "\*\*\*"\)/);
  });

  test('when a variable is an empty string, then it counts as unset', () => {
    expect(loadConfig(shape, { DATABASE_URL: 'postgres://db/app', GRPC_PORT: '' }).GRPC_PORT).toBe(50051);
  });
});
