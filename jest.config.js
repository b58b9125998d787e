/**
 * One Jest run for the whole workspace. The global setup starts real Postgres
 * (primary + streaming replica), Redis and a Redis Cluster on free ports; test
 * files share them and isolate themselves with their own databases and keys.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  // TypeScript is type-checked once by `npm run typecheck`; Jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: { '^@tessera/(.*)$': '<rootDir>/packages/$1/src/index.ts' },
  testMatch: ['<rootDir>/{packages,services}/*/test/**/*.test.ts', '<rootDir>/edge/test/**/*.test.ts', '<rootDir>/monolith/test/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/packages/testing/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/packages/testing/src/jest-global-teardown.ts',
  testTimeout: 30_000,
  // Two cores: more workers only contend with the servers under test.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  testSequencer: '<rootDir>/scripts/jest-sequencer.js',
};
