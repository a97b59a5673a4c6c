import { describe, expect, it } from 'vitest';
import { ModelNotFoundError } from '../../../src/errors/index.js';
import type { ManagementApi } from '../../../src/management/management-api.js';
import { observeManagement } from '../../../src/snapshot/index.js';

/** A facade that records calls and fails for the model named "bad". */
function recordingApi(events: string[]): ManagementApi {
  const ok = (what: string) => ({ httpStatus: 200 as const, status: what });
  const check = (model: string | undefined) => {
    if (model === 'bad') throw new ModelNotFoundError(model);
  };
  return {
    register: async (p) => (check(p.modelName), events.push('register'), ok('registered')),
    scale: async (m) => (check(m), events.push('scale'), ok('scaled')),
    describe: async () => (events.push('describe'), []),
    list: () => (events.push('list'), { models: [] }),
    unregister: async (m) => (check(m), events.push('unregister'), ok('unregistered')),
    setDefault: (m) => (check(m), events.push('setDefault'), ok('default')),
  };
}

describe('observeManagement', () => {
  it('notifies after each successful change, before register/scale/unregister answer; reads do not notify', async () => {
    const events: string[] = [];
    const api = observeManagement(recordingApi(events), async () => {
      await new Promise((r) => setTimeout(r, 5));
      events.push('snapshot');
    });
    expect((await api.register({ url: 'e.mar', modelName: 'e', synchronous: true })).status).toBe('registered');
    events.push('replied');
    await api.scale('e', undefined, { minWorker: 2, maxWorker: 2, synchronous: true });
    events.push('replied');
    await api.describe('e', undefined, false);
    api.list(10, 0);
    await api.unregister('e', '1.0');
    events.push('replied');
    expect(api.setDefault('e', '2.0').status).toBe('default');
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual([
      'register', 'snapshot', 'replied', 'scale', 'snapshot', 'replied', 'describe', 'list', 'unregister', 'snapshot', 'replied', 'setDefault', 'snapshot',
    ]);
  });

  it('a failing call does not notify and its error reaches the caller unchanged', async () => {
    let notified = 0;
    const api = observeManagement(recordingApi([]), async () => void notified++);
    await expect(api.register({ url: 'x', modelName: 'bad', synchronous: true })).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(api.scale('bad', undefined, { minWorker: 1, maxWorker: 1, synchronous: true })).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(api.unregister('bad', undefined)).rejects.toBeInstanceOf(ModelNotFoundError);
    expect(() => api.setDefault('bad', '1.0')).toThrow(ModelNotFoundError);
    expect(notified).toBe(0);
  });
});
