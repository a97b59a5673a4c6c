/**
 * Properties + environment + command line → frozen `ServerConfig` (pure: every input is a
 * parameter). Layering follows TorchServe's ConfigManager (spec §4.1, §4.3):
 *
 *   1. the file's properties, with `$$NAME$$` replaced by env `NAME` (missing → ConfigError);
 *   2. command-line overrides (`--model-store`, `--models`, `--disable-token-auth`, …);
 *   3. when the result says `enable_envvars_config=true`, every key's `TS_*` variable
 *      (so env > CLI > file; `TS_ALLOWED_URLS` only with `use_env_allowed_urls=true`);
 *   4. built-in defaults for whatever is still unset.
 *
 * Read directly whatever the flag says: `TS_MODEL_SERVER_HOME`, `TS_OPEN_INFERENCE_PROTOCOL`,
 * `LOG_LOCATION`, `METRICS_LOCATION`. Bad values throw `ConfigError`; oddities TorchServe
 * tolerates (unknown keys, `NUM_WORKERS`, a bad `metrics_mode`) are returned as warnings.
 */
import { tmpdir as osTmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors/errors.js';
import { parseAddress, type Address } from './address.js';
import { checkCrossFields } from './cross-checks.js';
import { IGNORED_KEYS, KEY_BY_NAME, KEYS, type KeySpec } from './keys.js';
import { parseModelSnapshot, parseModelsProperty, type ModelSnapshot } from './model-entries.js';
import type { CliOverrides, MetricsMode, ServerConfig, ServiceEnvelope } from './server-config-types.js';
import {
  checkRegex,
  parseAllowedUrls,
  parseBoolValue,
  parseDoubleValue,
  parseIntValue,
  parseLoadModels,
  substituteEnvRefs,
} from './values.js';

export type { CliOverrides, ServerConfig } from './server-config-types.js';

export interface BuildServerConfigInput {
  /** The file's properties (`parseProperties`), or an empty map when there is no file. */
  properties: Map<string, string>;
  env: Record<string, string | undefined>;
  cli: CliOverrides;
  /** Resolves relative `model_store`, `workflow_store` and `tmp_dir`; left relative if absent. */
  cwd?: string;
  /** The OS temp directory (default `os.tmpdir()`); `tmp_dir` defaults to `<tmpdir>/nserve`. */
  tmpdir?: string;
}

interface Setting {
  value: string;
  /** How an error names the key: `job_queue_size (from TS_JOB_QUEUE_SIZE)`. */
  label: string;
}

/** Keys whose env variable is not applied by the generic `enable_envvars_config` pass. */
const SPECIAL_ENV = new Set(['ts_open_inference_protocol', 'allowed_urls', 'model_server_home']);
const ALWAYS_READ_ENV = new Set(['TS_CONFIG_FILE', 'TS_MODEL_SERVER_HOME', 'TS_OPEN_INFERENCE_PROTOCOL']);
const METRICS_MODES: readonly MetricsMode[] = ['log', 'prometheus', 'legacy'];

export function buildServerConfig(input: BuildServerConfigInput): { config: ServerConfig; warnings: string[] } {
  const { env, cli } = input;
  const warnings: string[] = [];
  const layer = new Map<string, Setting>();

  // 1. File, with $$NAME$$ substitution; unknown keys are kept (snapshots carry them) but warned about.
  for (const [name, raw] of input.properties) {
    const ignored = IGNORED_KEYS.get(name);
    if (ignored !== undefined) warnings.push(ignored);
    else if (!KEY_BY_NAME.has(name)) warnings.push(`unknown configuration key ${JSON.stringify(name)} is ignored`);
    layer.set(name, { value: substituteEnvRefs(name, raw, env), label: name });
  }

  // 2. Command line.
  const fromCli = (name: string, value: string | undefined, flag: string): void => {
    if (value !== undefined) layer.set(name, { value, label: `${name} (from ${flag})` });
  };
  fromCli('model_store', cli.modelStore, '--model-store');
  fromCli('workflow_store', cli.workflowStore, '--workflow-store');
  fromCli('load_models', cli.models?.join(','), '--models');
  if (cli.disableTokenAuth === true) fromCli('disable_token_authorization', 'true', '--disable-token-auth');
  if (cli.enableModelApi === true) fromCli('enable_model_api', 'true', '--enable-model-api');

  // 3. Environment, when the file (or CLI) enables it.
  const envEnabled = parseBoolValue('enable_envvars_config', layer.get('enable_envvars_config')?.value ?? 'false', warnings);
  const useEnvAllowedUrls = parseBoolValue('use_env_allowed_urls', layer.get('use_env_allowed_urls')?.value ?? 'false', warnings);
  for (const spec of KEYS) {
    if (spec.env === undefined || SPECIAL_ENV.has(spec.name)) continue;
    const value = env[spec.env];
    if (value === undefined) continue;
    if (envEnabled) layer.set(spec.name, { value, label: `${spec.name} (from ${spec.env})` });
    else warnings.push(`${spec.env} is set but ignored: enable_envvars_config is not true`);
  }
  const envAllowedUrls = env.TS_ALLOWED_URLS;
  if (envAllowedUrls !== undefined) {
    if (envEnabled && useEnvAllowedUrls) layer.set('allowed_urls', { value: envAllowedUrls, label: 'allowed_urls (from TS_ALLOWED_URLS)' });
    else warnings.push('TS_ALLOWED_URLS is set but ignored: it needs enable_envvars_config=true and use_env_allowed_urls=true');
  }

  const r = reader(layer, warnings);
  const config = assemble(r, input, { envEnabled, useEnvAllowedUrls }, warnings);
  checkCrossFields(config);
  if (config.modelSnapshot !== undefined && layer.has('load_models')) {
    warnings.push('load_models is ignored because model_snapshot is set (models are restored from the snapshot)');
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith('TS_') && !name.startsWith('TS_NODE_') && !ALWAYS_READ_ENV.has(name) && !KEYS.some((k) => k.env === name) && name !== 'TS_ALLOWED_URLS') {
      warnings.push(`environment variable ${name} is not a configuration variable and is ignored`);
    }
  }
  const properties = new Map<string, string>();
  for (const [name, s] of layer) properties.set(name, s.value);
  return { config: Object.freeze({ ...config, properties }), warnings };
}

type Reader = ReturnType<typeof reader>;

/** Typed access to the layered values, falling back to each key's default. */
function reader(layer: Map<string, Setting>, warnings: string[]) {
  const spec = (name: string): KeySpec => {
    const s = KEY_BY_NAME.get(name);
    if (s === undefined) throw new Error(`internal: no key spec for ${name}`);
    return s;
  };
  /** The raw value and its label; empty strings count as unset for optional keys. */
  const raw = (name: string): Setting | undefined => {
    const s = layer.get(name);
    if (s !== undefined && !(s.value === '' && spec(name).default === undefined)) return s;
    const d = spec(name).default;
    return d === undefined ? undefined : { value: d, label: name };
  };
  const intOpt = (name: string): number | undefined => {
    const s = raw(name);
    const k = spec(name);
    return s === undefined ? undefined : parseIntValue(s.label, s.value, { min: k.min, max: k.max });
  };
  const required = <T>(name: string, v: T | undefined): T => {
    if (v === undefined) throw new Error(`internal: key ${name} has no default`);
    return v;
  };
  return {
    str: (name: string): string | undefined => raw(name)?.value,
    strD: (name: string): string => required(name, raw(name)?.value),
    int: (name: string): number => required(name, intOpt(name)),
    intOpt,
    bool: (name: string): boolean => {
      const s = raw(name);
      return parseBoolValue(s?.label ?? name, required(name, s).value, warnings);
    },
    double: (name: string): number => {
      const s = required(name, raw(name));
      return parseDoubleValue(s.label, s.value, { min: spec(name).min });
    },
    address: (name: string): Address => {
      const s = required(name, raw(name));
      return parseAddress(name, s.value.trim(), s.label);
    },
    setting: raw,
  };
}

function enumValue<T extends string>(r: Reader, name: string, values: readonly T[]): T | undefined {
  const s = r.setting(name);
  if (s === undefined) return undefined;
  const v = s.value.trim();
  if (!(values as readonly string[]).includes(v)) throw new ConfigError(s.label, s.value, `one of ${values.join(', ')}`);
  return v as T;
}

function assemble(
  r: Reader,
  input: BuildServerConfigInput,
  flags: { envEnabled: boolean; useEnvAllowedUrls: boolean },
  warnings: string[],
): Omit<ServerConfig, 'properties'> {
  const { env, cli } = input;
  const abs = (p: string | undefined): string | undefined => (p === undefined || input.cwd === undefined ? p : resolve(input.cwd, p));

  const modelsSetting = r.setting('models');
  const snapshotSetting = r.setting('model_snapshot');
  const modelSnapshot: ModelSnapshot | undefined =
    snapshotSetting === undefined ? undefined : parseModelSnapshot('model_snapshot', snapshotSetting.value, warnings);

  let metricsMode = (r.str('metrics_mode') ?? 'log').trim() as MetricsMode;
  if (!METRICS_MODES.includes(metricsMode)) {
    warnings.push(`metrics_mode=${JSON.stringify(metricsMode)} is not one of ${METRICS_MODES.join(', ')}; using log (as TorchServe does)`);
    metricsMode = 'log';
  }
  const oipEnv = env.TS_OPEN_INFERENCE_PROTOCOL;
  const modelStore = abs(r.str('model_store'));
  const allowedUrls = r.setting('allowed_urls');
  const tmpDir = r.str('tmp_dir') ?? join(input.tmpdir ?? osTmpdir(), 'nserve');

  const config: Omit<ServerConfig, 'properties'> = {
    inferenceAddress: r.address('inference_address'),
    managementAddress: r.address('management_address'),
    metricsAddress: r.address('metrics_address'),
    grpcInferenceAddress: r.strD('grpc_inference_address'),
    grpcManagementAddress: r.strD('grpc_management_address'),
    grpcInferencePort: r.int('grpc_inference_port'),
    grpcManagementPort: r.int('grpc_management_port'),
    grpcInferenceMaxConnectionAgeMs: r.intOpt('grpc_inference_max_connection_age_ms'),
    grpcManagementMaxConnectionAgeMs: r.intOpt('grpc_management_max_connection_age_ms'),
    grpcInferenceMaxConnectionAgeGraceMs: r.intOpt('grpc_inference_max_connection_age_grace_ms'),
    grpcManagementMaxConnectionAgeGraceMs: r.intOpt('grpc_management_max_connection_age_grace_ms'),
    corsAllowedOrigin: r.str('cors_allowed_origin'),
    corsAllowedMethods: r.str('cors_allowed_methods'),
    corsAllowedHeaders: r.str('cors_allowed_headers'),
    useNativeIo: r.bool('use_native_io'),
    ioRatio: r.int('io_ratio'),
    numberOfNettyThreads: r.int('number_of_netty_threads'),
    mainThreadConnections: r.int('main_thread_connections'),
    nettyClientThreads: r.int('netty_client_threads'),
    preferDirectBuffer: r.bool('prefer_direct_buffer'),
    enableGrpcSsl: r.bool('enable_grpc_ssl'),
    certificateFile: r.str('certificate_file'),
    privateKeyFile: r.str('private_key_file'),
    keystore: r.str('keystore'),
    keystorePass: r.strD('keystore_pass'),
    keystoreType: r.strD('keystore_type'),
    modelStore,
    workflowStore: abs(r.str('workflow_store')) ?? modelStore,
    loadModels: parseLoadModels(r.str('load_models') ?? ''),
    models: modelsSetting === undefined ? new Map() : parseModelsProperty('models', modelsSetting.value, warnings),
    modelSnapshot,
    defaultServiceHandler: r.str('default_service_handler'),
    serviceEnvelope: enumValue<ServiceEnvelope>(r, 'service_envelope', ['json', 'body', 'kserve', 'kservev2']),
    allowedUrls: Object.freeze(parseAllowedUrls(allowedUrls?.label ?? 'allowed_urls', allowedUrls?.value ?? '')),
    useEnvAllowedUrls: flags.useEnvAllowedUrls,
    modelServerHome: env.TS_MODEL_SERVER_HOME ?? r.str('model_server_home'),
    installPyDepPerModel: r.bool('install_py_dep_per_model'),
    limitMaxImagePixels: r.bool('limit_max_image_pixels'),
    decodeInputRequest: r.bool('decode_input_request'),
    defaultWorkersPerModel: r.int('default_workers_per_model'),
    jobQueueSize: r.int('job_queue_size'),
    defaultResponseTimeout: r.int('default_response_timeout'),
    defaultStartupTimeout: r.int('default_startup_timeout'),
    unregisterModelTimeout: r.int('unregister_model_timeout'),
    numberOfGpu: r.intOpt('number_of_gpu'),
    maxRequestSize: r.int('max_request_size'),
    maxResponseSize: r.int('max_response_size'),
    blacklistEnvVars: checkRegex('blacklist_env_vars', r.strD('blacklist_env_vars')),
    initialWorkerPort: r.int('initial_worker_port'),
    initialDistributionPort: r.int('initial_distribution_port'),
    debug: r.bool('debug'),
    cpuLauncherEnable: r.bool('cpu_launcher_enable'),
    cpuLauncherArgs: r.str('cpu_launcher_args'),
    ipexEnable: r.bool('ipex_enable'),
    ipexGpuEnable: r.bool('ipex_gpu_enable'),
    tsOpenInferenceProtocol: oipEnv !== undefined ? oipEnv === 'oip' : r.bool('ts_open_inference_protocol'),
    tsHeaderKeySequenceId: r.strD('ts_header_key_sequence_id'),
    tsHeaderKeySequenceStart: r.strD('ts_header_key_sequence_start'),
    tsHeaderKeySequenceEnd: r.strD('ts_header_key_sequence_end'),
    cppLogConfig: r.str('cpp_log_config'),
    vmargs: r.str('vmargs'),
    pluginsPath: r.str('plugins_path'),
    disableTokenAuthorization: r.bool('disable_token_authorization'),
    tokenExpirationMin: r.double('token_expiration_min'),
    enableModelApi: r.bool('enable_model_api'),
    enableEnvvarsConfig: flags.envEnabled,
    enableMetricsApi: r.bool('enable_metrics_api'),
    metricsMode,
    metricsConfig: r.str('metrics_config'),
    modelMetricsAutoDetect: r.bool('model_metrics_auto_detect'),
    disableSystemMetrics: r.bool('disable_system_metrics'),
    systemMetricsCmd: r.str('system_metrics_cmd'),
    metricTimeInterval: r.int('metric_time_interval'),
    asyncLogging: r.bool('async_logging'),
    maxArchiveUncompressedBytes: r.int('max_archive_uncompressed_bytes'),
    maxArchiveEntries: r.int('max_archive_entries'),
    maxArchiveCompressionRatio: r.int('max_archive_compression_ratio'),
    tmpDir: abs(tmpDir) ?? tmpDir,
    noConfigSnapshots: cli.ncs === true,
    logLocation: env.LOG_LOCATION ?? 'logs',
    metricsLocation: env.METRICS_LOCATION ?? 'logs',
  };
  return config;
}
