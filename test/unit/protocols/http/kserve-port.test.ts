import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/errors/index.js';
import { kservePortRequests, planKservePorts, portsInUse } from '../../../../src/protocols/http/kserve-port.js';

describe('KServe port requests', () => {
  it('PORT first, then NSERVE_KSERVE_PORT, which wins over kserve_http_port', () => {
    expect(kservePortRequests({ env: { PORT: '8080' }, configured: undefined })).toEqual([{ port: 8080, source: 'PORT' }]);
    expect(kservePortRequests({ env: { PORT: '8080', NSERVE_KSERVE_PORT: ' 9000 ' }, configured: '9100' })).toEqual([
      { port: 8080, source: 'PORT' },
      { port: 9000, source: 'NSERVE_KSERVE_PORT' },
    ]);
    expect(kservePortRequests({ env: {}, configured: '9100' })).toEqual([{ port: 9100, source: 'kserve_http_port' }]);
    expect(kservePortRequests({ env: { NSERVE_KSERVE_PORT: '' }, configured: '' })).toEqual([]);
  });

  it('an invalid PORT is ignored; an invalid nserve setting is a ConfigError naming it', () => {
    expect(kservePortRequests({ env: { PORT: 'http' }, configured: undefined })).toEqual([]);
    expect(kservePortRequests({ env: { PORT: '65535' }, configured: undefined })).toEqual([]);
    expect(() => kservePortRequests({ env: { NSERVE_KSERVE_PORT: '0' }, configured: undefined })).toThrow(ConfigError);
    expect(() => kservePortRequests({ env: {}, configured: '8080x' })).toThrow('invalid value for kserve_http_port: "8080x"');
  });
});

describe('KServe port plan', () => {
  const inUse = portsInUse(
    [
      { groups: ['inference', 'management', 'metrics'], port: 8085 },
      { groups: ['metrics'], port: 8082 },
      { groups: ['inference'], port: undefined },
    ],
    [7070, 7071],
  );

  it('collects the bound ports per kind (unix sockets have none)', () => {
    expect(inUse).toEqual({ inference: [8085], grpc: [7070, 7071], other: [8082] });
  });

  it('opens a free port once; skips the inference port quietly, gRPC and other listeners with a warning', () => {
    const plan = planKservePorts(
      [
        { port: 8080, source: 'PORT' },
        { port: 8080, source: 'NSERVE_KSERVE_PORT' },
        { port: 8085, source: 'kserve_http_port' },
        { port: 7070, source: 'PORT' },
        { port: 8082, source: 'PORT' },
      ],
      inUse,
    );
    expect(plan.open).toEqual([{ port: 8080, source: 'PORT' }]);
    expect(plan.skipped.map((s) => [s.request.port, s.warn])).toEqual([
      [8085, false],
      [7070, true],
      [8082, true],
    ]);
    expect(plan.skipped[1]!.reason).toMatch(/gRPC/);
  });
});
