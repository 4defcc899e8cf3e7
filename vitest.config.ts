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
    reporters: process.env.CI_JSON_REPORT
      ? ['default', ['json', { outputFile: process.env.CI_JSON_REPORT }]]
      : ['default'],
  },
});
