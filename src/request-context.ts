/**
 * What express-m8 keeps per request, in ONE object stored under one symbol on the request: the request log,
 * the HTTP metrics, the route templates and the auth guards all read and write its fields instead of each
 * adding properties of their own. On Node 22 (V8 12) every property added to a request after Express has
 * swapped its prototype costs about 1.5 µs and a new hidden class; nine such additions per request (four on
 * the request, five on the response) were much of what separated the full stack from the same work done by
 * hand there (bench/README.md). On Node 24 either way costs nanoseconds. Per-app state (logger, recorder,
 * options) lives in closures, never on the request or the response.
 */
const CONTEXT = Symbol('express-m8.requestContext');

/** The per-request state of express-m8's own middlewares. */
export interface RequestContext {
  /** `performance.now()` when the context was made: the edge makes it first, in the request log. */
  readonly start: number;
  /** Whether `createRequestLogger` writes this request's line (then refusals add their note to it). */
  logged: boolean;
  /** Route templates: the mount node last entered (routing/route-template.ts). */
  node: unknown;
  /** Route templates: the full template of the matched route, or `UNMATCHED`. */
  route: string | undefined;
  /** Auth guards: how an earlier guard of this request checked its credentials. */
  authChecked: number | undefined;
  /** The note a refusal adds to the request line (logging/request-logger.ts). */
  note: unknown;
}

interface Holder {
  [CONTEXT]?: RequestContext;
}

/** The context of `req`, made on first use (always with the same shape, so property access stays fast). */
export function requestContext(req: object): RequestContext {
  const holder = req as Holder;
  const existing = holder[CONTEXT];
  if (existing !== undefined) return existing;
  const made: RequestContext = {
    start: performance.now(),
    logged: false,
    node: undefined,
    route: undefined,
    authChecked: undefined,
    note: undefined,
  };
  holder[CONTEXT] = made;
  return made;
}

/** The context of `req` if one was made, without making one. */
export function contextOf(req: object): RequestContext | undefined {
  return (req as Holder)[CONTEXT];
}
