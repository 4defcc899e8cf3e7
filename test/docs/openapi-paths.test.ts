import { describe, expect, it } from 'vitest';
import { toOpenApiPaths } from '../../src/docs/openapi-paths.js';

const paths = (template: string) => toOpenApiPaths(template).map((p) => p.path);

describe('toOpenApiPaths', () => {
  it('turns Express 5 optional parts into one path per variant, nested ones too', () => {
    expect(toOpenApiPaths('/files{/:name}')).toEqual([
      { path: '/files', params: [], wildcards: [] },
      { path: '/files/{name}', params: ['name'], wildcards: [] },
    ]);
    expect(paths('/a{/:b{/:c}}')).toEqual(['/a', '/a/{b}', '/a/{b}/{c}']);
    expect(paths('{/x}')).toEqual(['/', '/x']);
  });

  it('turns Express 4 optional parameters, with or without a pattern, into variants and drops the pattern', () => {
    expect(paths('/orders/:id?')).toEqual(['/orders', '/orders/{id}']);
    expect(toOpenApiPaths('/x/:id(\\d+)?/y')).toEqual([
      { path: '/x/y', params: [], wildcards: [] },
      { path: '/x/{id}/y', params: ['id'], wildcards: [] },
    ]);
    expect(toOpenApiPaths('/x/:id(\\d+)')).toEqual([{ path: '/x/{id}', params: ['id'], wildcards: [] }]);
    // An unclosed pattern is kept as text; the parameter is still named.
    expect(toOpenApiPaths('/a/:id(\\d+')[0]?.params).toEqual(['id']);
  });

  it('names wildcards (Express 5 `*splat`, Express 4 bare `*`) and quoted parameter names', () => {
    expect(toOpenApiPaths('/f/*splat')).toEqual([
      { path: '/f/{splat}', params: ['splat'], wildcards: ['splat'] },
    ]);
    expect(toOpenApiPaths('/f/*')).toEqual([
      { path: '/f/{wildcard}', params: ['wildcard'], wildcards: ['wildcard'] },
    ]);
    expect(toOpenApiPaths('/q/:"quoted name"')).toEqual([
      { path: '/q/{quoted name}', params: ['quoted name'], wildcards: [] },
    ]);
  });

  it('keeps escaped and unnamed characters as text, and trims a trailing slash but not the root', () => {
    expect(paths('/lit\\:colon')).toEqual(['/lit:colon']);
    expect(paths('/lit\\{brace\\}')).toEqual(['/lit{brace}']);
    expect(paths('/esc\\')).toEqual(['/esc']);
    expect(toOpenApiPaths('/a/:/b')).toEqual([{ path: '/a/:/b', params: [], wildcards: [] }]);
    expect(paths('/trail/')).toEqual(['/trail']);
    expect(paths('/')).toEqual(['/']);
    expect(paths('')).toEqual(['/']);
  });

  it('keeps an unclosed brace as text', () => {
    expect(toOpenApiPaths('/odd{/:open')).toEqual([
      { path: '/odd{/{open}', params: ['open'], wildcards: [] },
    ]);
  });

  it('gives at most 16 variants', () => {
    const all = paths('/{a}{b}{c}{d}{e}');
    expect(all).toHaveLength(16);
    expect(all[0]).toBe('/');
    expect(new Set(all).size).toBe(16);
  });
});
