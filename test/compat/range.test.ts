import { describe, expect, it } from 'vitest';
import { satisfies } from '../../src/compat/index.js';

describe('satisfies', () => {
  it.each([
    ['20.19.0', '>=20.19', true],
    ['20.18.3', '>=20.19', false],
    ['22.3.0', '>=20.19', true],
    ['v22.3.0', '>=20.19', true],
    ['18.20.4', '>=20.19', false],
    ['20.19.0-rc.1', '>=20.19', false],
    ['20.19.1', '>= 20.19.1', true],
  ])('reads %s against %s as %s (>=)', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it.each([
    ['4.21.0', '^4.21 || ^5', true],
    ['4.21.2', '^4.21 || ^5', true],
    ['4.20.9', '^4.21 || ^5', false],
    ['4.17.1', '^4.21 || ^5', false],
    ['5.0.0', '^4.21 || ^5', true],
    ['5.1.0', '^4.21 || ^5', true],
    ['6.0.0', '^4.21 || ^5', false],
    ['6.0.0-beta.1', '^4.21 || ^5', false],
    ['5.0.0-beta.3', '^4.21 || ^5', false],
    ['3.0.0', '^4.21 || ^5', false],
  ])('reads express %s against %s as %s (caret with ||)', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it.each([
    ['0.28.0', '^0.28', true],
    ['0.28.9', '^0.28', true],
    ['0.29.0', '^0.28', false],
    ['0.2.5', '^0.2.3', true],
    ['0.3.0', '^0.2.3', false],
    ['0.0.3', '^0.0.3', true],
    ['0.0.4', '^0.0.3', false],
    ['8.11.0', '^8.11', true],
    ['8.10.9', '^8.11', false],
    ['9.0.0', '^8.11', false],
  ])('reads %s against %s as %s (caret below 1.0 and with a minor)', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it.each([
    ['1.2.5', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.9.0', '~1', true],
    ['5.9.9', '5', true],
    ['6.0.0', '5', false],
    ['5.1.7', '5.1', true],
    ['5.2.0', '5.1', false],
    ['5.1.2', '5.1.2', true],
    ['5.1.3', '=5.1.2', false],
    ['6.0.0', '>5', true],
    ['5.9.9', '>5', false],
    ['5.9.9', '<=5', true],
    ['6.0.0', '<=5', false],
    ['4.9.9', '<5', true],
    ['5.0.0', '<5', false],
    ['1.0.0', '*', true],
    ['0.5.16', '>=0.2', true],
    ['0.1.9', '>=0.2', false],
  ])('reads %s against %s as %s (tilde, partial, comparators)', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('requires every space-separated comparator of an alternative', () => {
    expect(satisfies('20.19.0', '>=20.19 <21')).toBe(true);
    expect(satisfies('21.0.0', '>=20.19 <21')).toBe(false);
    expect(satisfies('22.1.0', '>=20.19 <21 || >=22')).toBe(true);
  });

  it('never accepts a version it cannot read', () => {
    expect(satisfies('banana', '*')).toBe(false);
    expect(satisfies('5.1', '^5')).toBe(false);
  });

  it('rejects a range it cannot read with a TypeError naming the range', () => {
    expect(() => satisfies('1.0.0', '^banana')).toThrow(/Invalid version range "\^banana"/);
    expect(() => satisfies('1.0.0', '')).toThrow(TypeError);
    expect(() => satisfies('1.0.0', '^1 ||')).toThrow(TypeError);
  });
});
