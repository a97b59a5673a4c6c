import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHandler } from '../../../src/workers/handler-loader.js';

const dir = resolve(import.meta.dirname, '../../fixtures/handlers');

describe('handler loading', () => {
  it('loads a default export, a named export, and a file named without .js', async () => {
    expect(typeof (await loadHandler('echo.js', dir)).handle).toBe('function');
    expect(typeof (await loadHandler('slow-init.js:SlowInit', dir)).handle).toBe('function');
    expect(typeof (await loadHandler('slow-init:SlowInit', dir)).handle).toBe('function');
  });

  it('refuses files outside the model directory and unknown names', async () => {
    await expect(loadHandler('../../unit/x.js', dir)).rejects.toThrow('must be inside the model directory');
    await expect(loadHandler('/etc/passwd.js', dir)).rejects.toThrow('must be inside the model directory');
    await expect(loadHandler('no_such_handler', dir)).rejects.toThrow('neither a built-in handler nor a file');
    await expect(loadHandler('echo.js:Missing', dir)).rejects.toThrow("no 'Missing' export");
    await expect(loadHandler('handler.py:handle', dir)).rejects.toThrow('is Python code, which nserve cannot run');
  });
});
