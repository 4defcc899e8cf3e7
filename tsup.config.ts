import { defineConfig, type Options } from 'tsup';

const library: Options = {
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
  },
  dts: true,
  sourcemap: true,
  clean: false,
  target: 'node20',
  platform: 'node',
  shims: true,
  splitting: false,
  treeshake: true,
};

// `npm run build` empties dist/ first; each config here only adds to it.
export default defineConfig([
  { ...library, format: ['esm'] },
  {
    ...library,
    format: ['cjs'],
    // jose 6 ships ESM only, and `require()` of ESM needs Node ≥ 20.19 on 20.x but ≥ 22.12 on 22.x: bundled
    // into the CJS build, `require('express-m8')` works on every Node the compatibility matrix supports.
    noExternal: ['jose'],
  },
  {
    // The CLI is ESM only: it is an executable, never required.
    entry: {
      'cli/index': 'src/cli/index.ts',
      'cli/prestart': 'src/cli/prestart.ts',
    },
    format: ['esm'],
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    splitting: false,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
