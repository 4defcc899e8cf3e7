/**
 * Type-level tests of createAppServer's public options, run by `vitest --typecheck` (part of `npm test`, see
 * vitest.config.ts): the test seams (`v8Major`, `bases`) live in the internal `AppServerInternals`, so the
 * published `CreateAppServerOptions` (and the .d.ts built from it) shows only what users may pass.
 */
import type { Server } from 'node:http';
import type { Application } from 'express';
import type * as m8 from 'express-m8';
import { type CreateAppServerOptions, createAppServer, type ServerClassesLogger } from 'express-m8';
import { describe, expectTypeOf, it } from 'vitest';

declare const app: Application;

describe('createAppServer() types', () => {
  it('CreateAppServerOptions has only the public logger, no internal v8Major or bases', () => {
    expectTypeOf<keyof CreateAppServerOptions>().toEqualTypeOf<'logger'>();
    expectTypeOf<CreateAppServerOptions>().not.toHaveProperty('v8Major');
    expectTypeOf<CreateAppServerOptions>().not.toHaveProperty('bases');
    expectTypeOf<CreateAppServerOptions>().toEqualTypeOf<{ logger?: ServerClassesLogger }>();
  });

  it('keeps its public signature and rejects the internal seams', () => {
    expectTypeOf(createAppServer).parameters.toEqualTypeOf<[Application, CreateAppServerOptions?]>();
    expectTypeOf(createAppServer).returns.toEqualTypeOf<Server>();
    // @ts-expect-error v8Major is a test seam, not a public option
    createAppServer(app, { v8Major: 12 });
  });

  it('the package exports neither the internal variant nor the seams type', () => {
    expectTypeOf<typeof m8>().not.toHaveProperty('createAppServerWith');
    expectTypeOf<typeof m8>().not.toHaveProperty('appServerClasses');
  });
});
