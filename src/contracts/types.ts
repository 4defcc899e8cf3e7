import type { Request, RequestHandler } from 'express';
import type { $ZodType, output } from 'zod/v4/core';

/** A zod 4 schema (`zod` or `zod/mini`). */
export type ContractSchema = $ZodType;

/**
 * What a route accepts and answers: the request parts `contract()` validates (`params`, `query`, `headers`,
 * `body`) and the documentation the OpenAPI generator reads (`summary` … `deprecated`, `responses`).
 */
export interface ContractSpec {
  /** One-line summary of the operation. */
  readonly summary?: string;
  /** Longer description (CommonMark). */
  readonly description?: string;
  /** OpenAPI tags grouping the operation. */
  readonly tags?: readonly string[];
  /** Unique operation id, for generated clients. */
  readonly operationId?: string;
  /** Path parameters (`:id`); `req.params` becomes the parsed output. */
  readonly params?: ContractSchema;
  /** Query string; `req.query` becomes the parsed output (use `z.coerce` for numbers and booleans). */
  readonly query?: ContractSchema;
  /** Request headers (lower-case names); validated only, `req.headers` is left as Node made it. */
  readonly headers?: ContractSchema;
  /** JSON body; `req.body` becomes the parsed output. A body that is not JSON is refused with 415. */
  readonly body?: ContractSchema;
  /** Documented answers by status (`200`, `'4XX'`): a schema of the JSON body, or a description. */
  readonly responses?: Readonly<Record<number | string, ContractSchema | string>>;
  /** Marks the operation deprecated in the OpenAPI document. */
  readonly deprecated?: boolean;
}

/** The parsed output of `spec[K]`, or `Fallback` when the spec has no schema there. */
type PartOutput<S, K extends 'params' | 'query' | 'body', Fallback> = S extends {
  readonly [P in K]: infer T;
}
  ? T extends ContractSchema
    ? output<T>
    : Fallback
  : Fallback;

/**
 * The middleware `contract(spec)` returns: an Express `RequestHandler` whose `Params`, `ReqBody` and
 * `ReqQuery` are the outputs of the spec's schemas, so the handlers after it in the same route see those
 * types (Express's own defaults where the spec has no schema).
 */
export type ContractHandler<S extends ContractSpec> = RequestHandler<
  PartOutput<S, 'params', Request['params']>,
  unknown,
  PartOutput<S, 'body', Request['body']>,
  PartOutput<S, 'query', Request['query']>
>;

/** One entry of the `errors` member of a validation problem. */
export interface ValidationIssue {
  /** The request part at fault. */
  readonly in: 'params' | 'query' | 'headers' | 'body';
  /** Dotted path inside that part (`items.0.title`); empty for the part itself. */
  readonly path: string;
  /** zod's message for the issue; never the value that was sent. */
  readonly message: string;
}
