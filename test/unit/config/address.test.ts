import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/errors.js';
import { formatAddress, parseAddress, sameListener } from '../../../src/config/index.js';

describe('parseAddress', () => {
  it.each([
    ['inference_address', 'http://127.0.0.1:8080', { scheme: 'http', host: '127.0.0.1', port: 8080 }],
    ['inference_address', 'https://0.0.0.0:8443', { scheme: 'https', host: '0.0.0.0', port: 8443 }],
    ['inference_address', 'HTTP://LocalHost:1', { scheme: 'http', host: 'LocalHost', port: 1 }],
    ['inference_address', 'http://my-host.example.com:0', { scheme: 'http', host: 'my-host.example.com', port: 0 }],
    ['inference_address', 'http://[::1]:8080', { scheme: 'http', host: '::1', port: 8080 }],
    ['inference_address', 'http://127.0.0.1:65534', { scheme: 'http', host: '127.0.0.1', port: 65534 }],
    // Port omitted: defaults per listener and scheme (spec §0).
    ['inference_address', 'http://127.0.0.1', { scheme: 'http', host: '127.0.0.1', port: 80 }],
    ['inference_address', 'https://127.0.0.1', { scheme: 'https', host: '127.0.0.1', port: 443 }],
    ['management_address', 'http://127.0.0.1', { scheme: 'http', host: '127.0.0.1', port: 8081 }],
    ['management_address', 'https://127.0.0.1', { scheme: 'https', host: '127.0.0.1', port: 8444 }],
    ['metrics_address', 'http://127.0.0.1', { scheme: 'http', host: '127.0.0.1', port: 8082 }],
    ['metrics_address', 'https://127.0.0.1', { scheme: 'https', host: '127.0.0.1', port: 8445 }],
    ['inference_address', 'unix:/tmp/ts.sock', { scheme: 'unix', path: '/tmp/ts.sock' }],
    ['management_address', 'UNIX:/var/run/m.sock', { scheme: 'unix', path: '/var/run/m.sock' }],
  ])('%s=%s', (key, value, expected) => {
    const a = parseAddress(key, value);
    expect(a).toEqual(expected);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it.each([
    ['http://127.0.0.1:65535', 'a port number below 65535'],
    ['http://127.0.0.1:99999999999', 'a port number below 65535'],
    ['127.0.0.1:8080', 'http(s)://host[:port] or unix:/absolute/path'],
    ['tcp://127.0.0.1:8080', 'http(s)://host[:port] or unix:/absolute/path'],
    ['http://127.0.0.1:8080/', 'http(s)://host[:port] or unix:/absolute/path'],
    ['http://127.0.0.1:80a', 'http(s)://host[:port] or unix:/absolute/path'],
    ['http://:8080', 'http(s)://host[:port] or unix:/absolute/path'],
    ['http://::1:8080', 'http(s)://host[:port] or unix:/absolute/path'],
    ['unix:relative.sock', 'http(s)://host[:port] or unix:/absolute/path'],
    ['', 'http(s)://host[:port] or unix:/absolute/path'],
  ])('rejects %j: ConfigError naming key, value and expectation', (value, expected) => {
    let err: unknown;
    try {
      parseAddress('inference_address', value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('inference_address');
    expect((err as Error).message).toBe(`invalid value for inference_address: ${JSON.stringify(value)} (expected ${expected})`);
  });
});

describe('sameListener', () => {
  const p = (v: string) => parseAddress('inference_address', v);
  it.each([
    ['http://0.0.0.0:8085', 'http://0.0.0.0:8085', true],
    ['http://0.0.0.0:8085', 'https://0.0.0.0:8085', true], // scheme not compared (TorchServe)
    ['http://LOCALHOST:8085', 'http://localhost:8085', true],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8081', false],
    ['http://127.0.0.1:8080', 'http://0.0.0.0:8080', false],
    ['http://127.0.0.1:0', 'http://127.0.0.1:0', false], // each gets its own free port
    ['unix:/a.sock', 'unix:/a.sock', true],
    ['unix:/a.sock', 'unix:/b.sock', false],
    ['unix:/a.sock', 'http://127.0.0.1:8080', false],
  ])('%s vs %s -> %s', (a, b, expected) => {
    expect(sameListener(p(a), p(b))).toBe(expected);
  });
});

describe('formatAddress', () => {
  it.each(['http://127.0.0.1:8080', 'https://0.0.0.0:443', 'unix:/tmp/x.sock', 'http://[::1]:8080'])('round-trips %s', (v) => {
    expect(formatAddress(parseAddress('inference_address', v))).toBe(v);
  });
});
