// Jest runs TypeScript sources as native ESM through ts-jest.
// Integration tests execute the committed bundles in actions/*/dist, so `npm run build` must
// have been run after a source change (CI checks that dist/ is current).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } },
    ],
  },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // A guard against hangs, not a speed test: the end-to-end tests run real git, registries and
  // bundles, and must pass on a busy 2-core machine (CI runs them beside other jobs).
  testTimeout: 900_000,
  maxWorkers: 2,
  // How long a worker may take to exit once its files are done before jest kills it and warns "A
  // worker process has failed to exit gracefully". The default 500 ms is a speed test: on a 2-core
  // machine at load 30 a worker with no open handle (checked with --detectOpenHandles) can take
  // longer just to be scheduled and tear down. A real leak (a server or timer left open) still
  // outlasts this and still warns.
  workerGracefulExitTimeout: 10_000,
};
