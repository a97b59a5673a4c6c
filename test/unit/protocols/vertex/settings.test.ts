import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/errors/index.js';
import { vertexSettings } from '../../../../src/protocols/vertex/settings.js';

describe('vertexSettings', () => {
  it('is off outside Vertex', () => {
    expect(vertexSettings({})).toBeUndefined();
    expect(vertexSettings({ AIP_MODE: 'TRAINING' })).toBeUndefined();
  });

  it('reads the routes, the port and ids Vertex sets', () => {
    expect(
      vertexSettings({
        AIP_MODE: 'PREDICTION',
        AIP_HTTP_PORT: '7080',
        AIP_HEALTH_ROUTE: '/health',
        AIP_PREDICT_ROUTE: '/predict',
        AIP_ENDPOINT_ID: '123',
        AIP_DEPLOYED_MODEL_ID: '456',
        AIP_STORAGE_URI: 'gs://bucket/model',
      }),
    ).toEqual({ port: 7080, healthRoute: '/health', predictRoute: '/predict', endpointId: '123', deployedModelId: '456', remoteStorageUri: 'gs://bucket/model' });
  });

  it('defaults to port 8080 and Vertex\'s endpoint routes', () => {
    expect(vertexSettings({ AIP_MODE: 'PREDICTION', AIP_ENDPOINT_ID: '1', AIP_DEPLOYED_MODEL_ID: '2', AIP_STORAGE_URI: '' })).toEqual({
      port: 8080,
      healthRoute: '/v1/endpoints/1/deployedModels/2',
      predictRoute: '/v1/endpoints/1/deployedModels/2:predict',
      endpointId: '1',
      deployedModelId: '2',
    });
  });

  it('uses a local AIP_STORAGE_URI as the model store', () => {
    expect(vertexSettings({ AIP_HTTP_PORT: '8080', AIP_STORAGE_URI: 'file:///models/store' })?.modelStore).toBe('/models/store');
    expect(vertexSettings({ AIP_HTTP_PORT: '8080', AIP_STORAGE_URI: '/mnt/models' })?.modelStore).toBe('/mnt/models');
  });

  it('rejects a bad port or route with a ConfigError naming the variable', () => {
    expect(() => vertexSettings({ AIP_HTTP_PORT: 'http' })).toThrow(ConfigError);
    expect(() => vertexSettings({ AIP_HTTP_PORT: '70000' })).toThrow(/AIP_HTTP_PORT/);
    expect(() => vertexSettings({ AIP_PREDICT_ROUTE: 'predict' })).toThrow(/AIP_PREDICT_ROUTE/);
  });
});
