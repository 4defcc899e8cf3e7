/**
 * One OpenAPI operation from a route's metadata: its contract (summary, schemas, responses) and its guards
 * (security requirement, 401/403/503 problems, required role and scopes).
 */
import { STATUS_CODES } from 'node:http';
import type { ZodType } from 'zod';
import type { GuardMeta, RouteMeta } from '../routing/index.js';
import type { OpenApiPath } from './openapi-paths.js';
import { isZodSchema, type SchemaConverter } from './openapi-schema.js';

type Json = Record<string, unknown>;

/** What every operation of one document shares. */
export interface OperationContext {
  readonly schemas: SchemaConverter;
  /** Guards may answer 503 (revocation checks or a JWKS endpoint are configured). */
  readonly guardsMayBeUnavailable: boolean;
  /** Guards also accept an `X-API-Key` (`API_KEYS` is on): each guarded operation lists `apiKeyAuth` too. */
  readonly apiKeys?: boolean;
}

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

function problem(description: string): Json {
  return { description, content: { 'application/problem+json': { schema: PROBLEM_REF } } };
}

function list(items: readonly string[]): string {
  return items.map((s) => `\`${s}\``).join(', ');
}

/** The requirement sentences of the guards, e.g. "Requires a bearer token whose role is at least `writer`." */
function requirementText(guards: readonly GuardMeta[], optional: boolean): string[] {
  const lines: string[] = [];
  if (optional) lines.push('A bearer token is optional; when one is sent it must be valid.');
  else lines.push('Requires a bearer token.');
  for (const g of guards) {
    if (g.role === 'superuser') lines.push('Requires a superuser.');
    else if (g.role !== undefined) lines.push(`Requires the role \`${g.role}\` or higher.`);
    if (g.scopes !== undefined && g.scopes.length > 0) lines.push(`Requires the scopes ${list(g.scopes)}.`);
    if (g.anyScopes !== undefined && g.anyScopes.length > 0)
      lines.push(`Requires one of the scopes ${list(g.anyScopes)}.`);
    if (g.claim !== undefined) lines.push(`Requires the claim check: ${g.claim}.`);
  }
  return lines;
}

/** Merges the specs of the route's contracts (a later one wins per member). */
function contractSpec(meta: readonly RouteMeta[]): Readonly<Record<string, unknown>> | undefined {
  let spec: Record<string, unknown> | undefined;
  for (const m of meta) if (m.kind === 'contract') spec = { ...spec, ...m.spec };
  return spec;
}

function objectSchema(schema: unknown, ctx: OperationContext): { props: Json; required: string[] } {
  if (!isZodSchema(schema)) return { props: {}, required: [] };
  const json = ctx.schemas.convert(schema, 'input');
  const props = (json.properties ?? {}) as Json;
  return { props, required: Array.isArray(json.required) ? (json.required as string[]) : [] };
}

function parameter(name: string, where: string, schema: unknown, required: boolean): Json {
  const s = (schema ?? { type: 'string' }) as Json;
  const description = typeof s.description === 'string' ? { description: s.description } : {};
  return { name, in: where, required, ...description, schema: s };
}

function parametersOf(path: OpenApiPath, spec: Record<string, unknown> | undefined, ctx: OperationContext) {
  const out: Json[] = [];
  const params = objectSchema(spec?.params, ctx);
  for (const name of path.params) {
    const p = parameter(name, 'path', params.props[name], true);
    if (path.wildcards.includes(name) && p.description === undefined)
      p.description = 'The rest of the path; may contain `/`.';
    out.push(p);
  }
  const query = objectSchema(spec?.query, ctx);
  for (const [name, s] of Object.entries(query.props))
    out.push(parameter(name, 'query', s, query.required.includes(name)));
  const headers = objectSchema(spec?.headers, ctx);
  for (const [name, s] of Object.entries(headers.props)) {
    // OpenAPI ignores an `Authorization` header parameter: the security requirement describes it.
    if (name.toLowerCase() !== 'authorization')
      out.push(parameter(name, 'header', s, headers.required.includes(name)));
  }
  return out;
}

function responsesOf(spec: Record<string, unknown> | undefined, ctx: OperationContext): Json {
  const declared = (spec?.responses ?? {}) as Record<string, unknown>;
  const out: Json = {};
  for (const [status, value] of Object.entries(declared)) {
    const reason = STATUS_CODES[Number(status)] ?? 'Response';
    if (typeof value === 'string') out[status] = { description: value };
    else if (isZodSchema(value))
      out[status] = {
        description: reason,
        content: { 'application/json': { schema: ctx.schemas.convert(value as ZodType, 'output') } },
      };
  }
  if (Object.keys(out).length === 0)
    out.default = { description: 'Not documented: the route declares no responses in a contract.' };
  return out;
}

function bodyOf(spec: Record<string, unknown> | undefined, ctx: OperationContext): Json | undefined {
  const body = spec?.body;
  if (!isZodSchema(body)) return undefined;
  return {
    required: !body.safeParse(undefined).success,
    content: { 'application/json': { schema: ctx.schemas.convert(body, 'input') } },
  };
}

function securityOf(guards: readonly GuardMeta[], operation: Json, responses: Json, ctx: OperationContext) {
  const optional = guards.every((g) => g.optional === true);
  const schemes: Json[] =
    ctx.apiKeys === true ? [{ bearerAuth: [] }, { apiKeyAuth: [] }] : [{ bearerAuth: [] }];
  operation.security = optional ? [...schemes, {}] : schemes;
  const roles = guards.flatMap((g) => (g.role === undefined ? [] : [g.role]));
  if (roles.length > 0) operation['x-required-role'] = roles[roles.length - 1];
  const scopes = [...new Set(guards.flatMap((g) => g.scopes ?? []))];
  if (scopes.length > 0) operation['x-required-scopes'] = scopes;
  const anyScopes = [...new Set(guards.flatMap((g) => g.anyScopes ?? []))];
  if (anyScopes.length > 0) operation['x-required-any-scopes'] = anyScopes;
  const claims = guards.flatMap((g) => (g.claim === undefined ? [] : [g.claim]));
  if (claims.length > 0) operation['x-required-claims'] = claims;
  responses['401'] = problem('Missing, invalid, expired or revoked bearer token');
  responses['403'] = problem('The token is valid but not allowed here (role, scope, claim or inactive user)');
  if (ctx.guardsMayBeUnavailable)
    responses['503'] = problem('Signing keys or the revocation check are unavailable; retry later');
  return requirementText(guards, optional);
}

/**
 * The operation of one route method at one OpenAPI path.
 * @example
 * const op = operationOf(route.meta, toOpenApiPaths(route.path)[0], ctx);
 */
export function operationOf(meta: readonly RouteMeta[], path: OpenApiPath, ctx: OperationContext): Json {
  const spec = contractSpec(meta);
  const guards = meta.filter((m): m is GuardMeta => m.kind === 'auth');
  const operation: Json = {};
  for (const key of ['operationId', 'summary'] as const)
    if (typeof spec?.[key] === 'string') operation[key] = spec[key];
  if (Array.isArray(spec?.tags)) operation.tags = spec.tags.filter((t) => typeof t === 'string');
  const parameters = parametersOf(path, spec, ctx);
  if (parameters.length > 0) operation.parameters = parameters;
  const requestBody = bodyOf(spec, ctx);
  if (requestBody !== undefined) operation.requestBody = requestBody;
  const responses = responsesOf(spec, ctx);
  if (spec !== undefined) {
    responses['400'] = problem(
      'Request validation failed (`ERR_VALIDATION`, every failing field in `errors`)',
    );
    if (requestBody !== undefined) responses['415'] = problem('The body is not `application/json`');
  }
  const sentences = guards.length > 0 ? securityOf(guards, operation, responses, ctx) : [];
  const description = [typeof spec?.description === 'string' ? spec.description : '', sentences.join(' ')]
    .filter((s) => s !== '')
    .join('\n\n');
  if (description !== '') operation.description = description;
  if (spec?.deprecated === true) operation.deprecated = true;
  operation.responses = responses;
  return operation;
}
