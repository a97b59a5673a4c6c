/**
 * Every bad value stops start-up with a one-line ConfigError naming the key, the value and
 * what was expected; cross-field conflicts fail the same way before anything binds.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/errors.js';
import { buildServerConfig, parseProperties } from '../../../src/config/index.js';

function errorOf(text: string, env: Record<string, string> = {}): ConfigError {
  try {
    buildServerConfig({ properties: parseProperties(text), env, cli: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${text}`);
}

const SNAP = (entry: string) => `model_snapshot={"name":"s","modelCount":1,"models":{"m":{"1.0":${entry}}}}`;
const GOOD_ENTRY = '"defaultVersion":true,"marName":"m.mar","minWorkers":1,"maxWorkers":1,"batchSize":1,"maxBatchDelay":100';

describe('bad values', () => {
  it.each([
    ['default_response_timeout=abc', 'default_response_timeout', '"abc"', 'an integer from 0 to 2147483647'],
    ['default_response_timeout=', 'default_response_timeout', '""', 'an integer from 0 to 2147483647'],
    ['default_startup_timeout=1.5', 'default_startup_timeout', '"1.5"', 'an integer from 0 to 2147483647'],
    ['job_queue_size=0', 'job_queue_size', '"0"', 'an integer from 1 to 2147483647'],
    ['job_queue_size=2147483648', 'job_queue_size', '"2147483648"', 'an integer from 1 to 2147483647'],
    ['max_request_size=10MB', 'max_request_size', '"10MB"', 'an integer from 1 to 2147483647'],
    ['grpc_inference_port=65535', 'grpc_inference_port', '"65535"', 'an integer from 0 to 65534'],
    ['grpc_management_port=-1', 'grpc_management_port', '"-1"', 'an integer from 0 to 65534'],
    ['token_expiration_min=soon', 'token_expiration_min', '"soon"', 'a number >= 0'],
    ['token_expiration_min=-5', 'token_expiration_min', '"-5"', 'a number >= 0'],
    ['inference_address=localhost:8080', 'inference_address', '"localhost:8080"', 'http(s)://host[:port] or unix:/absolute/path'],
    ['management_address=http://127.0.0.1:70000', 'management_address', '"http://127.0.0.1:70000"', 'a port number below 65535'],
    ['service_envelope=xml', 'service_envelope', '"xml"', 'one of json, body, kserve, kservev2'],
    ['allowed_urls=https://(unclosed', 'allowed_urls', '"https://(unclosed"', 'a valid regular expression'],
    ['blacklist_env_vars=[a-', 'blacklist_env_vars', '"[a-"', 'a valid regular expression'],
    ['models={"m": ', 'models', '"{\\"m\\": "', 'valid JSON'],
    ['models=[1,2]', 'models', '"[1,2]"', 'a JSON object at models'],
    ['models={"m": {"1.0": {"batchSize": "big"}}}', 'models', '"\\"big\\""', 'an integer at models.m.1.0.batchSize'],
    ['models={"m": {"1.0": {"defaultVersion": "maybe"}}}', 'models', '"\\"maybe\\""', 'true or false at models.m.1.0.defaultVersion'],
    ['models={"m": 3}', 'models', '"3"', 'an object of versions at models.m'],
    ['model_snapshot={not json', 'model_snapshot', '"{not json"', 'valid JSON'],
    ['model_snapshot={"models":{}}', 'model_snapshot', '"{\\"models\\":{}}"', 'a "modelCount" field'],
    ['model_snapshot={"modelCount":1}', 'model_snapshot', '"{\\"modelCount\\":1}"', 'a "models" field'],
    ['model_snapshot={"modelCount":"one","models":{}}', 'model_snapshot', '"\\"one\\""', 'an integer at modelCount'],
    [SNAP(`{${GOOD_ENTRY.replace('"marName":"m.mar",', '')}}`), 'model_snapshot', undefined, 'a "marName" field at models.m.1.0'],
    [SNAP(`{${GOOD_ENTRY.replace('"minWorkers":1,', '')}}`), 'model_snapshot', undefined, 'a "minWorkers" field at models.m.1.0'],
    [SNAP(`{${GOOD_ENTRY.replace('"defaultVersion":true,', '')}}`), 'model_snapshot', undefined, 'a "defaultVersion" field at models.m.1.0'],
    [SNAP(`{${GOOD_ENTRY.replace('"batchSize":1', '"batchSize":1.5')}}`), 'model_snapshot', '"1.5"', 'an integer at models.m.1.0.batchSize'],
    [SNAP(`{${GOOD_ENTRY.replace('"marName":"m.mar"', '"marName":7')}}`), 'model_snapshot', '"7"', 'a string at models.m.1.0.marName'],
  ])('%s', (text, key, value, expected) => {
    const err = errorOf(text);
    expect(err.key).toBe(key);
    expect(err.message).not.toContain('\n');
    expect(err.message.startsWith(`invalid value for ${key}: `)).toBe(true);
    if (value !== undefined) expect(err.message).toContain(`: ${value} (expected `);
    expect(err.message).toContain(`(expected ${expected}`);
  });

  it('a bad env value names the variable it came from', () => {
    const err = errorOf('enable_envvars_config=true', { TS_JOB_QUEUE_SIZE: 'many' });
    expect(err.message).toBe('invalid value for job_queue_size (from TS_JOB_QUEUE_SIZE): "many" (expected an integer from 1 to 2147483647)');
  });

  it('a valid snapshot entry with the minimum fields loads', () => {
    expect(() => buildServerConfig({ properties: parseProperties(SNAP(`{${GOOD_ENTRY}}`)), env: {}, cli: {} })).not.toThrow();
  });
});

describe('cross-field checks', () => {
  it.each([
    ['inference_address=unix:/tmp/i.sock\nuse_native_io=false', 'use_native_io', 'true, because inference_address is a unix: address'],
    ['enable_grpc_ssl=true', 'enable_grpc_ssl', 'false unless certificate_file and private_key_file are set'],
    ['certificate_file=/c.pem', 'private_key_file', 'a file path, because certificate_file is set'],
    ['private_key_file=/k.pem', 'certificate_file', 'a file path, because private_key_file is set'],
    ['grpc_management_port=7070', 'grpc_management_port', 'a port not already used by grpc_inference_port (7070)'],
    ['metrics_address=http://127.0.0.1:8080', 'metrics_address', 'a port not already used by inference_address (http://127.0.0.1:8080)'],
    ['management_address=http://0.0.0.0:8080', 'management_address', 'a port not already used by inference_address'],
    ['grpc_inference_port=8081', 'grpc_inference_port', 'a port not already used by management_address'],
    ['inference_address=unix:/tmp/a.sock\nmetrics_address=unix:/tmp/a.sock', 'metrics_address', 'a socket path different'],
  ])('%s', (text, key, expected) => {
    const err = errorOf(text);
    expect(err.key).toBe(key);
    expect(err.message).toContain(`(expected ${expected}`);
  });

  it.each([
    'inference_address=http://0.0.0.0:8085\nmanagement_address=http://0.0.0.0:8085',
    'metrics_address=http://127.0.0.1:8080\nenable_metrics_api=false',
    'inference_address=http://127.0.0.1:0\nmanagement_address=http://127.0.0.1:0\nmetrics_address=http://127.0.0.1:0\ngrpc_inference_port=0\ngrpc_management_port=0',
    'enable_grpc_ssl=true\ncertificate_file=/c.pem\nprivate_key_file=/k.pem',
    'inference_address=unix:/tmp/i.sock\nmanagement_address=unix:/tmp/i.sock',
  ])('accepts %j', (text) => {
    expect(() => buildServerConfig({ properties: parseProperties(text), env: {}, cli: {} })).not.toThrow();
  });
});
