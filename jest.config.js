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
};
