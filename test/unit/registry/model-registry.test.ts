import { describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../../src/registry/model-registry.js';
import { canTransition } from '../../../src/registry/model-state.js';

const e = (name: string, version: string) => ({ name, version });

describe('ModelRegistry', () => {
  it('the first version is the default; resolve by name or version', () => {
    const r = new ModelRegistry<{ name: string; version: string }>();
    r.add(e('m', '1'));
    r.add(e('m', '2'));
    expect(r.resolve('m').version).toBe('1');
    expect(r.resolve('m', '2').version).toBe('2');
    expect(() => r.resolve('x')).toThrow('Model not found: x');
    expect(() => r.resolve('m', '3')).toThrow('Model version: 3 does not exist for model: m');
    expect(() => r.add(e('m', '2'))).toThrow('Model version 2 is already registered for model m');
  });

  it('set default, removal rules, sorted names and defaults', () => {
    const r = new ModelRegistry<{ name: string; version: string }>();
    r.add(e('b', '1'));
    r.add(e('a', '1'));
    r.add(e('a', '2'));
    expect(r.setDefault('a', '2')).toBe(true);
    expect(r.setDefault('a', '9')).toBe(false);
    expect(() => r.remove('a', '2')).toThrow('Cannot remove default version for model a');
    r.remove('a', '1');
    r.remove('a', '2');
    expect(r.names()).toEqual(['b']);
    expect(r.defaults().map((x) => x.name)).toEqual(['b']);
  });

  it('model state transitions', () => {
    expect(canTransition('LOADING', 'READY')).toBe(true);
    expect(canTransition('UNLOADING', 'READY')).toBe(true);
    expect(canTransition('READY', 'LOADING')).toBe(false);
  });
});
