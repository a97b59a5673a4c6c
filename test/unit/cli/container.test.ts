import { describe, expect, it } from 'vitest';
import { containerForegroundReason } from '../../../src/cli/container.js';

describe('--start inside a container', () => {
  it('stays in the foreground as PID 1 or inside a Kubernetes pod, and says why', () => {
    expect(containerForegroundReason({}, 1)).toMatch(/PID 1/);
    expect(containerForegroundReason({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }, 4242)).toMatch(/Kubernetes pod/);
  });

  it('detaches as usual elsewhere (an empty KUBERNETES_SERVICE_HOST does not count)', () => {
    expect(containerForegroundReason({}, 4242)).toBeUndefined();
    expect(containerForegroundReason({ KUBERNETES_SERVICE_HOST: '' }, 4242)).toBeUndefined();
  });
});
