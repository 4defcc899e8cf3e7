import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// EXPRESS_M8_TEST_EXPRESS=/tmp/express4/node_modules/express runs the tests AND the library code under test
// (src/) against that express install instead of the repo's (CI's Express 4 job: `npm run test:express4`).
const otherExpress = process.env.EXPRESS_M8_TEST_EXPRESS;

export default defineConfig({
  resolve: {
    alias: {
      'express-m8/testing': fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)),
      'express-m8': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
      ...(otherExpress ? { express: otherExpress } : {}),
    },
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Type-level tests (`*.test-d.ts`, expectTypeOf) run with every `vitest run`, so `npm test` fails on a
    // type regression of the public API (e.g. what handlers after contract() see).
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // `npm run test:coverage` (CI's Node 20 suite step): V8's own coverage, mapped back to src/ through the
    // source maps; the run fails below 90 % of lines or 85 % of branches over src/. Excluded: the two bin
    // shims (two lines each, only ever run as child processes, whose coverage V8 does not collect here; what they
    // call, cli/main.ts, is covered) and the files that hold types only (no runtime code to cover).
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/cli/index.ts', 'src/cli/prestart.ts', 'src/db/types.ts', 'src/contracts/types.ts'],
      reporter: ['text-summary', 'text', 'json-summary'],
      reportsDirectory: process.env.COVERAGE_DIR ?? './coverage',
      thresholds: { lines: 90, branches: 85 },
    },
    reporters: process.env.CI_JSON_REPORT
      ? ['default', ['json', { outputFile: process.env.CI_JSON_REPORT }]]
      : ['default'],
  },
});
