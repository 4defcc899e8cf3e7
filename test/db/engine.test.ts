import { describe, it } from 'vitest';
import { engineSuite } from './engine-suite.js';
import { probe, TARGETS } from './helpers/targets.js';

// Probed before collection so an unreachable server is visible in the test names, not silently green.
const CASES = await Promise.all(
  TARGETS.map(async (target) => ({ target, name: target.name, unreachable: await probe(target) })),
);

describe.each(CASES)(
  'createDbEngine on the $name',
  ({ target, unreachable }) => {
    if (unreachable === undefined) {
      engineSuite(target);
    } else if (process.env.CI) {
      it('has its server reachable, as CI requires', () => {
        throw new Error(
          `CI is set but the ${target.name} is unreachable (${unreachable}); database tests may not be skipped in CI`,
        );
      });
    } else {
      it.skip(`is skipped: the ${target.name} is unreachable (${unreachable}); with CI set this fails`, () => {});
    }
    // Each new in-memory PGlite runs initdb (seconds, more under a parallel test run).
  },
  120_000,
);
