import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { $ZodAsyncError, safeParse } from 'zod/v4/core';
import { M8Error } from '../errors.js';
import { problemBody, sendProblem } from '../http/problem.js';
import { withRouteMeta } from '../routing/route-meta.js';
import type { ContractHandler, ContractSchema, ContractSpec, ValidationIssue } from './types.js';

/** At most this many entries in the `errors` member; `errorsOmitted` counts the rest. */
export const MAX_VALIDATION_ERRORS = 100;
/** A path longer than this (object keys come from the client) is cut, with `…`. */
const MAX_PATH_CHARS = 200;

const UNSUPPORTED_BODY = problemBody({
  status: 415,
  code: 'ERR_HTTP_UNSUPPORTED_MEDIA_TYPE',
  detail: 'The request body must be JSON (Content-Type: application/json).',
});

type Part = ValidationIssue['in'];
type ZodIssueLike = { readonly path: readonly PropertyKey[]; readonly message: string };

const NO_BODY = 0;
const READ_BODY = 1;
const UNREAD_BODY = 2;

/**
 * Whether the request carries a body, and whether a parser read it (express.json() leaves other content
 * types unread). Without a body the contract validates `undefined`, on Express 4 (whose parser sets `{}`) and
 * 5 alike.
 */
function bodyState(req: IncomingMessage): number {
  const headers = req.headers;
  if (headers['transfer-encoding'] === undefined) {
    const length = headers['content-length'];
    if (length === undefined || length === '0') return NO_BODY;
  }
  return req.readableEnded === true ? READ_BODY : UNREAD_BODY;
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (let i = 0; i < path.length; i++) out += (i === 0 ? '' : '.') + String(path[i]);
  return out.length > MAX_PATH_CHARS ? `${out.slice(0, MAX_PATH_CHARS)}…` : out;
}

/** The failures of one request, made on the first failing part (a valid request allocates none). */
interface Failures {
  readonly errors: ValidationIssue[];
  /** Issues beyond {@link MAX_VALIDATION_ERRORS}. */
  omitted: number;
}

/** Adds the issues of one part, up to the cap. */
function fail(into: Failures | undefined, part: Part, issues: readonly ZodIssueLike[]): Failures {
  const failures = into ?? { errors: [], omitted: 0 };
  for (const issue of issues) {
    if (failures.errors.length >= MAX_VALIDATION_ERRORS) failures.omitted++;
    else failures.errors.push({ in: part, path: pathOf(issue.path), message: issue.message });
  }
  return failures;
}

function sendValidationProblem(res: Response, { errors, omitted }: Failures): void {
  sendProblem(
    res,
    problemBody({
      status: 400,
      code: 'ERR_VALIDATION',
      detail: 'Request validation failed',
      extensions: omitted > 0 ? { errors, errorsOmitted: omitted } : { errors },
    }),
  );
}

/** An async refinement or transform cannot run in a synchronous check: say so instead of zod's "use parseAsync". */
function asyncSchemaError(cause: unknown): M8Error {
  return new M8Error(
    'ERR_CONTRACT_SPEC',
    'contract(spec): a schema has an async refinement or transform; contract() validates synchronously',
    { cause },
  );
}

function isSchema(value: unknown): value is ContractSchema {
  return (
    typeof value === 'object' && value !== null && typeof (value as { _zod?: unknown })._zod === 'object'
  );
}

function assertSpec(spec: ContractSpec): void {
  if (typeof spec !== 'object' || spec === null) {
    throw new M8Error('ERR_CONTRACT_SPEC', `contract(spec): spec must be an object, got ${typeof spec}`);
  }
  const wrong: string[] = [];
  for (const part of ['params', 'query', 'headers', 'body'] as const) {
    const schema = spec[part];
    if (schema !== undefined && !isSchema(schema)) wrong.push(`${part} must be a zod 4 schema`);
  }
  const responses = spec.responses;
  if (responses !== undefined) {
    for (const status of Object.keys(responses)) {
      const answer = responses[status];
      if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status))
        wrong.push(`responses key "${status}" is not a status`);
      else if (typeof answer !== 'string' && !isSchema(answer)) {
        wrong.push(`responses[${status}] must be a zod 4 schema or a description string`);
      }
    }
  }
  if (wrong.length > 0) throw new M8Error('ERR_CONTRACT_SPEC', `contract(spec): ${wrong.join('; ')}`);
}

/**
 * Validates a route's request against zod 4 schemas and hands the parsed output to the handlers after it:
 * `req.params`, `req.query` and `req.body` are replaced (unknown keys stripped, coercions applied as the
 * schemas say); `headers` is validated only. A request that fails answers `400` problem+json with
 * `code: "ERR_VALIDATION"` and an `errors` list naming every failing field of every part (at most
 * {@link MAX_VALIDATION_ERRORS}; `errorsOmitted` counts the rest). With a `body` schema, a body that no parser
 * read (not JSON) answers `415` `ERR_HTTP_UNSUPPORTED_MEDIA_TYPE`. Place it after the route's auth guards:
 * they run first, and createApp parses the JSON body after them. Schemas must be synchronous (an async
 * refinement fails the request with 500 and `ERR_CONTRACT_SPEC` in the log). The spec, schemas included, is
 * what the OpenAPI generator documents.
 *
 * Types: the handlers after it see the schemas' outputs (`req.params.id: number` with `z.coerce.number()`),
 * after express-m8's auth guards too. A middleware of your own typed `RequestHandler` before it makes Express
 * infer `ParamsDictionary` and `ParsedQs` for the route: type it like `AuthGuard` (Node's request and response).
 * @example
 * const Item = z.object({ title: z.string().min(1), done: z.boolean().default(false) });
 * router.post('/items', auth.requireUser, contract({ summary: 'Create an item', body: Item }), (req, res) => {
 *   res.status(201).json({ title: req.body.title });
 * });
 * @throws {M8Error} `ERR_CONTRACT_SPEC` when a part or a response is not a zod 4 schema.
 */
export function contract<const S extends ContractSpec>(spec: S): ContractHandler<S> {
  assertSpec(spec);
  const params = spec.params;
  const query = spec.query;
  const headers = spec.headers;
  const body = spec.body;

  /** Parses every part with a schema, replaces the request's parts with the outputs, gathers the failures. */
  function check(req: Request, state: number): Failures | undefined {
    let failures: Failures | undefined;
    if (params !== undefined) {
      const result = safeParse(params, req.params);
      if (result.success) req.params = result.data as Request['params'];
      else failures = fail(failures, 'params', result.error.issues);
    }
    if (query !== undefined) {
      const result = safeParse(query, req.query);
      // Express 5 computes `req.query` in a getter of the prototype: an own property replaces it.
      if (result.success)
        Object.defineProperty(req, 'query', {
          value: result.data,
          writable: true,
          configurable: true,
          enumerable: true,
        });
      else failures = fail(failures, 'query', result.error.issues);
    }
    if (headers !== undefined) {
      const result = safeParse(headers, req.headers);
      if (!result.success) failures = fail(failures, 'headers', result.error.issues);
    }
    if (body !== undefined) {
      const result = safeParse(body, state === READ_BODY ? req.body : undefined);
      if (result.success) req.body = result.data;
      else failures = fail(failures, 'body', result.error.issues);
    }
    return failures;
  }

  function validateContract(req: Request, res: Response, next: NextFunction): void {
    const state = body === undefined ? NO_BODY : bodyState(req);
    if (state === UNREAD_BODY) {
      sendProblem(res, UNSUPPORTED_BODY);
      return;
    }
    let failures: Failures | undefined;
    try {
      failures = check(req, state);
    } catch (error) {
      next(error instanceof $ZodAsyncError ? asyncSchemaError(error) : error);
      return;
    }
    if (failures !== undefined) {
      sendValidationProblem(res, failures);
      return;
    }
    next();
  }

  return withRouteMeta(validateContract, {
    kind: 'contract',
    spec: spec as unknown as Readonly<Record<string, unknown>>,
  }) as unknown as ContractHandler<S>;
}
