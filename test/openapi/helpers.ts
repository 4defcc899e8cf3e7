import { Validator } from '@seriousme/openapi-schema-validator';
import type { RequestHandler } from 'express';
import { withRouteMeta } from '../../src/routing/index.js';

/**
 * A test-only stand-in for `contract(spec)`: tags a pass-through middleware with the route metadata the real
 * one carries, so the generator is tested without the validation it adds.
 */
export function contractStandIn(spec: Record<string, unknown>): RequestHandler {
  return withRouteMeta(
    function contractStandIn(_req, _res, next) {
      next();
    } as RequestHandler,
    { kind: 'contract', spec },
  );
}

/** Validates a document against the OpenAPI 3.1 schema; resolves with the errors (empty when valid). */
export async function openApiErrors(document: unknown): Promise<unknown[]> {
  const result = await new Validator().validate(document as Record<string, unknown>);
  if (result.valid) return [];
  return Array.isArray(result.errors) ? result.errors : [result.errors];
}

type Json = Record<string, unknown>;

/** `doc.paths[path][method]`, failing loudly when absent. */
export function operation(doc: Json, path: string, method: string): Json {
  const item = (doc.paths as Record<string, Json | undefined>)[path];
  const op = item?.[method] as Json | undefined;
  if (op === undefined)
    throw new Error(`no ${method} ${path} in ${Object.keys(doc.paths as Json).join(', ')}`);
  return op;
}
