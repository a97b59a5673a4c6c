import { describe, expect, it } from 'vitest';
import { filterNames } from '../../../../src/protocols/metrics/routes.js';

describe('filterNames (name[] query)', () => {
  it.each([
    [{}, undefined],
    [{ 'name[]': 'Requests2XX' }, ['Requests2XX']],
    [{ 'name[]': ['a', 'b'] }, ['a', 'b']],
    [{ name: ['a'] }, ['a']],
    [{ 'name[]': '' }, undefined],
  ])('%j -> %j', (query, names) => {
    expect(filterNames(query)).toEqual(names);
  });
});
