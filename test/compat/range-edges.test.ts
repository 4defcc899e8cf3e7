import { describe, expect, it } from 'vitest';
import { satisfies } from '../../src/compat/index.js';

describe('satisfies: exact comparators and pre-release order', () => {
  it.each([
    ['1.2.4', '>1.2.3', true],
    ['1.2.3', '>1.2.3', false],
    ['1.2.3', '<=1.2.3', true],
    ['1.2.4', '<=1.2.3', false],
    ['1.2.3-rc.1', '<=1.2.3', true],
  ])('reads %s against %s as %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it.each([
    // Alphanumeric identifiers compare lexically, numeric ones below them.
    ['1.0.0-beta', '>1.0.0-alpha', true],
    ['1.0.0-alpha', '>1.0.0-beta', false],
    ['1.0.0-alpha', '>1.0.0-1', true],
    // A longer list of identifiers sorts after its prefix.
    ['1.0.0-alpha.1', '>1.0.0-alpha', true],
    ['1.0.0-alpha', '>1.0.0-alpha.1', false],
    // Equal pre-releases.
    ['1.0.0-rc.1', '=1.0.0-rc.1', true],
    ['1.0.0-rc.1', '<=1.0.0-rc.1', true],
    ['1.0.0-rc.1', '>1.0.0-rc.1', false],
    ['1.0.0-rc.2', '1.0.0-rc.1', false],
  ])('orders %s against %s as %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('takes a wildcard with =, >=, <= or no operator as any version, and refuses it with ^, ~, > and <', () => {
    expect(satisfies('0.0.1', '>=*')).toBe(true);
    expect(satisfies('9.9.9', 'x')).toBe(true);
    for (const range of ['^*', '~x', '>*', '<X']) {
      expect(() => satisfies('1.0.0', range)).toThrow(TypeError);
    }
  });
});
