import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: {
      'express-m8/testing': fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)),
      'express-m8': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: process.env.CI_JSON_REPORT
      ? ['default', ['json', { outputFile: process.env.CI_JSON_REPORT }]]
      : ['default'],
  },
});
