/**
 * Express path templates to OpenAPI path templates.
 *
 * Express 5 (`path-to-regexp@8`): `:id` and `*splat` are parameters, `{…}` is an optional part, `\\` escapes.
 * Express 4 (`path-to-regexp@0.1`): `:id`, `:id?` (optional), `:id(\\d+)` (with a pattern) and a bare `*`.
 * OpenAPI has no optional path parameter, so a template with optional parts becomes one path per variant:
 * `/files{/:name}` is documented as `/files` and `/files/{name}`.
 */

/** One OpenAPI path of an Express template and the names of its path parameters, in order. */
export interface OpenApiPath {
  readonly path: string;
  readonly params: readonly string[];
  /** Parameters from a wildcard (`*splat`, `*`): the value may contain `/`. */
  readonly wildcards: readonly string[];
}

/** At most this many variants of one template (n optional parts give 2^n). */
const MAX_VARIANTS = 16;
const NAME = /^(?:[A-Za-z_$][\w$]*|"(?:[^"\\]|\\.)*")/;

function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Every variant of a template with its optional parts (`{…}`, `/:id?`) present or absent. */
function variants(template: string): string[] {
  for (let i = 0; i < template.length; i++) {
    if (template[i] === '\\') {
      i++;
      continue;
    }
    if (template[i] === '{') {
      const end = closingBrace(template, i);
      if (end < 0) return [template];
      const before = template.slice(0, i);
      const after = template.slice(end + 1);
      const withPart = variants(before + template.slice(i + 1, end) + after);
      return [...variants(before + after), ...withPart].slice(0, MAX_VARIANTS);
    }
  }
  const optional = /\/:([A-Za-z_$][\w$]*)(\([^)]*\))?\?/.exec(template);
  if (optional === null) return [template];
  const before = template.slice(0, optional.index);
  const after = template.slice(optional.index + optional[0].length);
  const present = `${before}/:${optional[1]}${optional[2] ?? ''}${after}`;
  return [...variants(before + after), ...variants(present)].slice(0, MAX_VARIANTS);
}

function convert(template: string): OpenApiPath {
  const params: string[] = [];
  const wildcards: string[] = [];
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c === '\\') {
      out += template[i + 1] ?? '';
      i++;
      continue;
    }
    if (c !== ':' && c !== '*') {
      out += c;
      continue;
    }
    const match = NAME.exec(template.slice(i + 1));
    let name = match?.[0] ?? (c === '*' ? 'wildcard' : '');
    if (name === '') {
      out += c;
      continue;
    }
    i += match?.[0].length ?? 0;
    if (name.startsWith('"')) name = name.slice(1, -1).replace(/\\(.)/g, '$1');
    // Express 4's `:id(\\d+)`: the pattern is dropped (the parameter is documented as a string).
    if (template[i + 1] === '(') i = template.indexOf(')', i + 1) < 0 ? i : template.indexOf(')', i + 1);
    params.push(name);
    if (c === '*') wildcards.push(name);
    out += `{${name}}`;
  }
  const path = out.length > 1 ? out.replace(/\/+$/, '') : out;
  return { path: path === '' ? '/' : path, params, wildcards };
}

/**
 * The OpenAPI paths of an Express path template (several when it has optional parts).
 * @example
 * toOpenApiPaths('/orders/:orderId/items{/:id}');
 * // → [{ path: '/orders/{orderId}/items', … }, { path: '/orders/{orderId}/items/{id}', … }]
 */
export function toOpenApiPaths(template: string): OpenApiPath[] {
  return variants(template).map(convert);
}
