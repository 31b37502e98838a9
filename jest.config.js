/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
    // hyparquet-writer and hyparquet ship ES modules only: ts-jest turns them into CommonJS for jest.
    '^.+/node_modules/hyparquet(-writer)?/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, isolatedModules: true, module: 'commonjs', target: 'ES2022' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!hyparquet(-writer)?/)'],
  // A bound for a hung test, not a speed check: on a shared 2-core machine with two test files at a
  // time, a spawned export can take several times its usual time.
  testTimeout: 180000,
  // Two test files at a time, also on a 2-core machine (jest's default there is one: cores - 1).
  // Most of a test's time is waiting on a spawned CLI (its start-up, its exit), so a second file
  // overlaps that wait; no test shares files or ports with another file (test/install.test.ts
  // runs npm's build in a copy of the clone, never over the dist/ the others run).
  maxWorkers: 2,
};
