/**
 * Every `config.properties` key nserve knows: TorchServe 0.12's keys (spec §4.2) plus nserve's
 * own (marked `nserve`). Defaults are written as property text and go through the same parser
 * as file values. `env` is the variable that overrides the key when `enable_envvars_config=true`
 * (spec §4.3: `TS_` + upper-cased name, except the irregular `TS_TOKEN_EXPIRATION_TIME_MIN`);
 * `undefined` means the key cannot be set from the environment (`models`, `model_snapshot`,
 * `use_native_io`, …). `inert` keys are accepted so TorchServe configs load unchanged, but
 * they drive JVM, Netty, Python or Intel machinery nserve does not have.
 */

export type KeyType = 'string' | 'int' | 'bool' | 'double' | 'address' | 'json' | 'list';

export type KeyGroup = 'listeners' | 'tls' | 'models' | 'workers' | 'security' | 'metrics' | 'nserve' | 'internal';

export interface KeySpec {
  readonly name: string;
  readonly type: KeyType;
  /** Default as property text; `undefined`: unset. */
  readonly default: string | undefined;
  /** Environment variable read when `enable_envvars_config=true`; `undefined`: none. */
  readonly env: string | undefined;
  readonly group: KeyGroup;
  /** One line for the sample `config.properties` and `--help`. */
  readonly doc: string;
  readonly min?: number;
  readonly max?: number;
  /** Accepted values (compared case-sensitively), for enumerations. */
  readonly values?: readonly string[];
  /** Accepted for compatibility; no effect in nserve. */
  readonly inert?: boolean;
  /** nserve's own key (not a TorchServe key). */
  readonly nserve?: boolean;
}

const GIB = 1024 ** 3;

type Extra = Partial<Pick<KeySpec, 'min' | 'max' | 'values' | 'inert' | 'nserve'>>;

function key(group: KeyGroup, name: string, type: KeyType, dflt: string | undefined, env: string | false, doc: string, extra: Extra = {}): KeySpec {
  return { name, type, default: dflt, env: env === false ? undefined : env, group, doc, ...extra };
}
/** The regular env name: `TS_` + upper-cased key. */
const ts = (name: string): string => `TS_${name.toUpperCase()}`;
const PORT = { min: 0, max: 65534 } as const;

/** Listeners, gRPC and TLS. */
const LISTENER_KEYS: KeySpec[] = [
  key('listeners', 'inference_address', 'address', 'http://127.0.0.1:8080', ts('inference_address'), 'Inference REST listener: http(s)://host[:port] or unix:/path'),
  key('listeners', 'management_address', 'address', 'http://127.0.0.1:8081', ts('management_address'), 'Management REST listener (same host:port as inference = one combined listener)'),
  key('listeners', 'metrics_address', 'address', 'http://127.0.0.1:8082', ts('metrics_address'), 'Metrics REST listener (only when enable_metrics_api=true)'),
  key('listeners', 'grpc_inference_address', 'string', '127.0.0.1', ts('grpc_inference_address'), 'Host/IP of the gRPC inference service'),
  key('listeners', 'grpc_management_address', 'string', '127.0.0.1', ts('grpc_management_address'), 'Host/IP of the gRPC management service'),
  key('listeners', 'grpc_inference_port', 'int', '7070', ts('grpc_inference_port'), 'gRPC inference port', PORT),
  key('listeners', 'grpc_management_port', 'int', '7071', ts('grpc_management_port'), 'gRPC management port', PORT),
  key('listeners', 'grpc_inference_max_connection_age_ms', 'int', undefined, ts('grpc_inference_max_connection_age_ms'), 'Close gRPC inference connections after this many ms (unset: never)', { min: 1 }),
  key('listeners', 'grpc_management_max_connection_age_ms', 'int', undefined, ts('grpc_management_max_connection_age_ms'), 'Close gRPC management connections after this many ms (unset: never)', { min: 1 }),
  key('listeners', 'grpc_inference_max_connection_age_grace_ms', 'int', undefined, ts('grpc_inference_max_connection_age_grace_ms'), 'Grace period after max connection age, inference (unset: infinite)', { min: 1 }),
  key('listeners', 'grpc_management_max_connection_age_grace_ms', 'int', undefined, ts('grpc_management_max_connection_age_grace_ms'), 'Grace period after max connection age, management (unset: infinite)', { min: 1 }),
  key('listeners', 'cors_allowed_origin', 'string', undefined, ts('cors_allowed_origin'), 'CORS Access-Control-Allow-Origin (unset: no CORS headers)'),
  key('listeners', 'cors_allowed_methods', 'string', undefined, ts('cors_allowed_methods'), 'CORS Access-Control-Allow-Methods'),
  key('listeners', 'cors_allowed_headers', 'string', undefined, ts('cors_allowed_headers'), 'CORS Access-Control-Allow-Headers'),
  key('listeners', 'use_native_io', 'bool', 'true', false, 'Native IO; must stay true for unix: addresses'),
  key('listeners', 'io_ratio', 'int', '50', false, 'Netty IO ratio (no effect in nserve)', { inert: true }),
  key('listeners', 'number_of_netty_threads', 'int', '0', ts('number_of_netty_threads'), 'Event loops serving the inference listener: 1 = the main thread alone, n >= 2 = n front-end threads, 0 = 2 front-end threads from 4 CPUs up, else the main thread alone', { min: 0 }),
  key('listeners', 'netty_client_threads', 'int', '0', ts('netty_client_threads'), 'Netty backend threads (no effect in nserve)', { inert: true, min: 0 }),
  key('listeners', 'prefer_direct_buffer', 'bool', 'false', ts('prefer_direct_buffer'), 'Netty direct buffers (no effect in nserve)', { inert: true }),
  key('tls', 'enable_grpc_ssl', 'bool', 'false', ts('enable_grpc_ssl'), 'gRPC over TLS with certificate_file + private_key_file'),
  key('tls', 'certificate_file', 'string', undefined, ts('certificate_file'), 'PEM X.509 certificate chain for https:// and gRPC TLS'),
  key('tls', 'private_key_file', 'string', undefined, ts('private_key_file'), 'PEM private key (PKCS#8 or PKCS#1) for https:// and gRPC TLS'),
  key('tls', 'keystore', 'string', undefined, ts('keystore'), 'PKCS12 keystore file (first key entry is used)'),
  key('tls', 'keystore_pass', 'string', 'changeit', ts('keystore_pass'), 'Keystore password'),
  key('tls', 'keystore_type', 'string', 'PKCS12', ts('keystore_type'), 'Keystore type'),
];

/** Models, workers, queues, timeouts. */
const MODEL_KEYS: KeySpec[] = [
  key('models', 'model_store', 'string', undefined, ts('model_store'), 'Directory of model archives (.mar, .tar.gz, directories)'),
  key('models', 'load_models', 'list', undefined, ts('load_models'), 'Models to load at start-up: all, or a comma list of [name=]archive'),
  key('models', 'models', 'json', undefined, false, 'Per-model settings JSON {name: {version: {minWorkers, maxWorkers, batchSize, ...}}}'),
  key('models', 'model_snapshot', 'json', undefined, false, 'Snapshot JSON; when present the models are restored from it and load_models is ignored'),
  key('models', 'workflow_store', 'string', undefined, ts('workflow_store'), 'Workflow archive directory (default: model_store)'),
  key('models', 'default_service_handler', 'string', undefined, ts('default_service_handler'), 'Handler for archives whose MANIFEST names none'),
  key('models', 'service_envelope', 'string', undefined, ts('service_envelope'), 'Request envelope for every model: json, body, kserve or kservev2', { values: ['json', 'body', 'kserve', 'kservev2'] }),
  key('models', 'allowed_urls', 'list', 'file://.*|http(s)?://.*', ts('allowed_urls'), 'Comma list of regexes (full match, case-insensitive) a register URL must match'),
  key('models', 'use_env_allowed_urls', 'bool', 'false', false, 'Let TS_ALLOWED_URLS override allowed_urls'),
  key('models', 'model_server_home', 'string', undefined, ts('model_server_home'), 'Server home directory (TS_MODEL_SERVER_HOME always wins)'),
  key('models', 'install_py_dep_per_model', 'bool', 'false', ts('install_py_dep_per_model'), 'pip-install archive requirements (no effect in nserve)', { inert: true }),
  key('models', 'limit_max_image_pixels', 'bool', 'true', ts('limit_max_image_pixels'), 'Refuse decompression-bomb images in image handlers'),
  key('models', 'decode_input_request', 'bool', 'true', ts('decode_input_request'), 'Decode JSON/text request bodies before the handler sees them'),
  key('workers', 'default_workers_per_model', 'int', '0', ts('default_workers_per_model'), 'Start-up workers per model (0: one per GPU, else per CPU); default initial_workers on register', { min: 0 }),
  key('workers', 'job_queue_size', 'int', '100', ts('job_queue_size'), 'Per-model request queue capacity (503 when full)', { min: 1 }),
  key('workers', 'default_response_timeout', 'int', '120', ts('default_response_timeout'), 'Seconds a worker may take to answer a batch', { min: 0 }),
  key('workers', 'default_startup_timeout', 'int', '120', ts('default_startup_timeout'), 'Seconds a worker may take to load its model', { min: 0 }),
  key('workers', 'unregister_model_timeout', 'int', '120', ts('unregister_model_timeout'), 'Seconds to wait for workers to stop on unregister/scale-down', { min: 0 }),
  key('workers', 'number_of_gpu', 'int', undefined, ts('number_of_gpu'), 'Cap on GPUs used (unset: all detected)', { min: 0 }),
  key('workers', 'max_request_size', 'int', '6553500', ts('max_request_size'), 'Largest request body in bytes (REST and gRPC)', { min: 1 }),
  key('workers', 'max_response_size', 'int', '6553500', ts('max_response_size'), 'Largest response in bytes (REST and gRPC)', { min: 1 }),
  key('workers', 'blacklist_env_vars', 'string', '', ts('blacklist_env_vars'), 'Regex of environment variable names not passed to workers'),
  key('workers', 'initial_worker_port', 'int', '9000', ts('initial_worker_port'), 'First backend worker port (no effect in nserve: workers are threads)', { inert: true, ...PORT }),
  key('workers', 'initial_distribution_port', 'int', '29500', ts('initial_distribution_port'), 'torchrun port (no effect in nserve)', { inert: true, ...PORT }),
  key('workers', 'debug', 'bool', 'false', ts('debug'), 'Debug mode: one worker per model, infinite timeouts'),
  key('workers', 'cpu_launcher_enable', 'bool', 'false', ts('cpu_launcher_enable'), 'Intel CPU launcher (no effect in nserve)', { inert: true }),
  key('workers', 'cpu_launcher_args', 'string', undefined, ts('cpu_launcher_args'), 'Intel CPU launcher arguments (no effect in nserve)', { inert: true }),
  key('workers', 'ipex_enable', 'bool', 'false', ts('ipex_enable'), 'Intel Extension for PyTorch (no effect in nserve)', { inert: true }),
  key('workers', 'ipex_gpu_enable', 'bool', 'false', ts('ipex_gpu_enable'), 'Intel GPU extension (no effect in nserve)', { inert: true }),
  key('workers', 'ts_open_inference_protocol', 'bool', 'false', 'TS_OPEN_INFERENCE_PROTOCOL', 'Serve the Open Inference Protocol gRPC service (env TS_OPEN_INFERENCE_PROTOCOL=oip decides alone when set)'),
  key('workers', 'ts_header_key_sequence_id', 'string', 'ts_request_sequence_id', 'TS_HEADER_KEY_SEQUENCE_ID', 'Header carrying the sequence id (stateful models)'),
  key('workers', 'ts_header_key_sequence_start', 'string', 'ts_request_sequence_start', 'TS_HEADER_KEY_SEQUENCE_START', 'Header marking a sequence start'),
  key('workers', 'ts_header_key_sequence_end', 'string', 'ts_request_sequence_end', 'TS_HEADER_KEY_SEQUENCE_END', 'Header marking a sequence end'),
  key('workers', 'cpp_log_config', 'string', undefined, ts('cpp_log_config'), 'C++ backend log config (no effect in nserve)', { inert: true }),
  key('workers', 'vmargs', 'string', undefined, false, 'JVM arguments (no effect in nserve)', { inert: true }),
  key('workers', 'plugins_path', 'string', undefined, false, 'Java plugin jars (no effect in nserve)', { inert: true }),
];

/** Security, APIs, metrics, logging, and nserve's own keys. */
const OTHER_KEYS: KeySpec[] = [
  key('security', 'disable_token_authorization', 'bool', 'false', ts('disable_token_authorization'), 'Turn off token authorization (key_file.json)'),
  key('security', 'token_expiration_min', 'double', '60', 'TS_TOKEN_EXPIRATION_TIME_MIN', 'Minutes before inference/management tokens expire', { min: 0 }),
  key('security', 'enable_model_api', 'bool', 'false', ts('enable_model_api'), 'Allow register/unregister through the management API'),
  key('security', 'enable_envvars_config', 'bool', 'false', false, 'Let TS_* environment variables override this file'),
  key('metrics', 'enable_metrics_api', 'bool', 'true', ts('enable_metrics_api'), 'Start the metrics listener'),
  key('metrics', 'metrics_mode', 'string', 'log', ts('metrics_mode'), 'log, prometheus or legacy (invalid: log, with a warning)'),
  key('metrics', 'metrics_config', 'string', undefined, ts('metrics_config'), 'metrics.yaml with metric definitions (unset: built-in)'),
  key('metrics', 'model_metrics_auto_detect', 'bool', 'false', ts('model_metrics_auto_detect'), 'Register unknown handler metrics on first sight'),
  key('metrics', 'disable_system_metrics', 'bool', 'false', ts('disable_system_metrics'), 'Do not collect CPU/memory/GPU metrics'),
  key('metrics', 'system_metrics_cmd', 'string', undefined, false, 'Custom system metrics command (no effect in nserve)', { inert: true }),
  key('metrics', 'metric_time_interval', 'int', '60', false, 'Seconds between system metric samples', { min: 1 }),
  key('metrics', 'async_logging', 'bool', 'false', ts('async_logging'), 'Asynchronous logging (no effect in nserve)', { inert: true }),
  key('nserve', 'max_archive_uncompressed_bytes', 'int', String(64 * GIB), ts('max_archive_uncompressed_bytes'), 'Zip-bomb guard: most bytes one archive may expand to (64 GiB admits a 12 GB SDXL .mar)', { nserve: true, min: 1, max: Number.MAX_SAFE_INTEGER }),
  key('nserve', 'max_archive_entries', 'int', '100000', ts('max_archive_entries'), 'Zip-bomb guard: most entries in one archive', { nserve: true, min: 1 }),
  key('nserve', 'max_archive_compression_ratio', 'int', '200', ts('max_archive_compression_ratio'), 'Zip-bomb guard: largest uncompressed/compressed ratio of one entry', { nserve: true, min: 1 }),
  key('nserve', 'tmp_dir', 'string', undefined, ts('tmp_dir'), 'Where archives are extracted (unset: <os tmpdir>/nserve)', { nserve: true }),
  key('nserve', 'kserve_http_port', 'int', undefined, ts('kserve_http_port'), 'Extra inference-only listener on 0.0.0.0:<port>, opened once the start-up models are loaded (KServe Standard mode; env NSERVE_KSERVE_PORT wins; Knative uses PORT)', { nserve: true, min: 1, max: 65534 }),
  key('nserve', 'main_thread_connections', 'int', '4', ts('main_thread_connections'), 'With front-end threads: the main thread accepts inference connections until it holds this many (lowest latency), then the threads take new ones until at most a quarter of that remain; 0 = the threads take every connection', { nserve: true, min: 0 }),
];

/** Keys TorchServe itself writes into snapshots; read back silently, never used. */
const INTERNAL_KEYS: KeySpec[] = ['tsConfigFile', 'version', 'python', 'snapshot_store'].map((name) =>
  key('internal', name, 'string', undefined, false, 'Written by TorchServe into snapshots; ignored', { inert: true }),
);

export const KEYS: readonly KeySpec[] = Object.freeze([...LISTENER_KEYS, ...MODEL_KEYS, ...OTHER_KEYS, ...INTERNAL_KEYS]);

export const KEY_BY_NAME: ReadonlyMap<string, KeySpec> = new Map(KEYS.map((k) => [k.name, k]));

/**
 * Names seen in real-world configs that are not keys at all. They load without error; the
 * reason is returned as a warning. (`NUM_WORKERS` is in KServe's sample config; TorchServe
 * ignores it.)
 */
export const IGNORED_KEYS: ReadonlyMap<string, string> = new Map([
  ['NUM_WORKERS', 'NUM_WORKERS is not a TorchServe key and is ignored, as TorchServe ignores it (use default_workers_per_model or minWorkers)'],
]);

