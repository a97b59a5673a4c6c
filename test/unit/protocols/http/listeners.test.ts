import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../../../src/config/index.js';
import { portEnvAddress } from '../../../../src/protocols/http/addresses.js';
import { planListeners } from '../../../../src/protocols/http/listeners.js';

const inf = (v: string) => parseAddress('inference_address', v);
const mgmt = (v: string) => parseAddress('management_address', v);
const met = (v: string) => parseAddress('metrics_address', v);

describe('listener plan', () => {
  it('three addresses -> three listeners', () => {
    const plan = planListeners(inf('http://127.0.0.1:8080'), mgmt('http://127.0.0.1:8081'), met('http://127.0.0.1:8082'));
    expect(plan.map((p) => p.groups)).toEqual([['inference'], ['management'], ['metrics']]);
  });

  it('same host:port (scheme ignored) -> one combined listener that also serves metrics', () => {
    const plan = planListeners(inf('http://0.0.0.0:8085'), mgmt('https://0.0.0.0:8085'), met('http://0.0.0.0:8082'));
    expect(plan.map((p) => [p.address.port, p.groups])).toEqual([
      [8085, ['inference', 'management', 'metrics']],
      [8082, ['metrics']],
    ]);
  });

  it('metrics disabled; same unix path combines', () => {
    const plan = planListeners(inf('unix:/tmp/a.sock'), mgmt('unix:/tmp/a.sock'), undefined);
    expect(plan.map((p) => p.groups)).toEqual([['inference', 'management']]);
  });

  it('PORT serves inference on 0.0.0.0 unless the address is explicit or PORT is invalid', () => {
    expect(portEnvAddress({ PORT: '8080' }, false)).toEqual({ scheme: 'http', host: '0.0.0.0', port: 8080 });
    expect(portEnvAddress({ PORT: '8080' }, true)).toBeUndefined();
    expect(portEnvAddress({ PORT: 'abc' }, false)).toBeUndefined();
    expect(portEnvAddress({ PORT: '70000' }, false)).toBeUndefined();
    expect(portEnvAddress({}, false)).toBeUndefined();
  });
});
