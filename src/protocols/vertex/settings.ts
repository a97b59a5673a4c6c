/**
 * Vertex AI custom-container settings from the `AIP_*` environment Vertex sets (kserve.md §6).
 * Pure: main.ts passes `process.env`.
 *
 * Vertex mode is on when `AIP_MODE=PREDICTION` or any of `AIP_HTTP_PORT`, `AIP_HEALTH_ROUTE`,
 * `AIP_PREDICT_ROUTE` is set. Defaults follow Vertex's: port 8080, health route
 * `/v1/endpoints/{AIP_ENDPOINT_ID}/deployedModels/{AIP_DEPLOYED_MODEL_ID}`, predict route the
 * same plus `:predict`.
 *
 * `AIP_STORAGE_URI`: a local path or `file://` URI is usable as the model store
 * (`modelStore`); a `gs://` URI is reported in `remoteStorageUri` and must be copied to local
 * disk before start (nserve has no Cloud Storage client).
 */
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../errors/index.js';

export interface VertexSettings {
  port: number;
  healthRoute: string;
  predictRoute: string;
  /** Local directory from `AIP_STORAGE_URI`, when it is one. */
  modelStore?: string;
  /** `AIP_STORAGE_URI` when it is remote (`gs://…`). */
  remoteStorageUri?: string;
  endpointId?: string;
  deployedModelId?: string;
}

function route(value: string | undefined, fallback: string, key: string): string {
  const r = value === undefined || value === '' ? fallback : value;
  if (!r.startsWith('/')) throw new ConfigError(key, r, 'a path starting with /');
  return r;
}

/** `undefined` when the environment is not a Vertex prediction container. */
export function vertexSettings(env: Readonly<Record<string, string | undefined>>): VertexSettings | undefined {
  const on = env['AIP_MODE'] === 'PREDICTION' || ['AIP_HTTP_PORT', 'AIP_HEALTH_ROUTE', 'AIP_PREDICT_ROUTE'].some((k) => env[k] !== undefined && env[k] !== '');
  if (!on) return undefined;
  const portText = env['AIP_HTTP_PORT'] || '8080';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError('AIP_HTTP_PORT', portText, 'a TCP port 1-65535');
  const endpoint = env['AIP_ENDPOINT_ID'] ?? '';
  const deployed = env['AIP_DEPLOYED_MODEL_ID'] ?? '';
  const base = `/v1/endpoints/${endpoint}/deployedModels/${deployed}`;
  const settings: VertexSettings = {
    port,
    healthRoute: route(env['AIP_HEALTH_ROUTE'], base, 'AIP_HEALTH_ROUTE'),
    predictRoute: route(env['AIP_PREDICT_ROUTE'], `${base}:predict`, 'AIP_PREDICT_ROUTE'),
  };
  if (endpoint !== '') settings.endpointId = endpoint;
  if (deployed !== '') settings.deployedModelId = deployed;
  const storage = env['AIP_STORAGE_URI'] ?? '';
  if (storage.startsWith('file://')) settings.modelStore = fileURLToPath(storage);
  else if (storage.startsWith('/')) settings.modelStore = storage;
  else if (storage !== '') settings.remoteStorageUri = storage;
  return settings;
}
