/**
 * The typed, frozen server configuration. Field names are the camelCase of TorchServe's
 * property keys (`job_queue_size` → `jobQueueSize`); units are the keys' units (seconds for
 * timeouts, bytes for sizes, milliseconds for gRPC connection ages). `undefined` means the key
 * is unset and has no default.
 */
import type { Address } from './address.js';
import type { ModelSnapshot, ModelTable, ModelVersionProperties } from './model-entries.js';
import type { LoadModelEntry } from './values.js';

export type ServiceEnvelope = 'json' | 'body' | 'kserve' | 'kservev2';
export type MetricsMode = 'log' | 'prometheus' | 'legacy';

/** Command-line values that override the file (the `torchserve`-compatible flags). */
export interface CliOverrides {
  /** `--ts-config`: read by `loadConfig` only. */
  tsConfig?: string;
  /** `--model-store` → `model_store`. */
  modelStore?: string;
  /** `--workflow-store` → `workflow_store`. */
  workflowStore?: string;
  /** `--models a b` → `load_models=a,b`. */
  models?: string[];
  /** `--ncs` / `--no-config-snapshots`: no snapshot is read or written. */
  ncs?: boolean;
  /** `--disable-token-auth` (can only disable). */
  disableTokenAuth?: boolean;
  /** `--enable-model-api` (can only enable). */
  enableModelApi?: boolean;
}

export interface ServerConfig {
  // ---- listeners -------------------------------------------------------------------------
  readonly inferenceAddress: Address;
  readonly managementAddress: Address;
  readonly metricsAddress: Address;
  readonly grpcInferenceAddress: string;
  readonly grpcManagementAddress: string;
  readonly grpcInferencePort: number;
  readonly grpcManagementPort: number;
  /** Milliseconds; undefined: never. */
  readonly grpcInferenceMaxConnectionAgeMs: number | undefined;
  readonly grpcManagementMaxConnectionAgeMs: number | undefined;
  readonly grpcInferenceMaxConnectionAgeGraceMs: number | undefined;
  readonly grpcManagementMaxConnectionAgeGraceMs: number | undefined;
  readonly corsAllowedOrigin: string | undefined;
  readonly corsAllowedMethods: string | undefined;
  readonly corsAllowedHeaders: string | undefined;
  readonly useNativeIo: boolean;
  readonly ioRatio: number;
  readonly numberOfNettyThreads: number;
  /** `main_thread_connections`: front-end steering threshold (front-end/steering.ts). */
  readonly mainThreadConnections: number;
  readonly nettyClientThreads: number;
  readonly preferDirectBuffer: boolean;
  // ---- TLS -------------------------------------------------------------------------------
  readonly enableGrpcSsl: boolean;
  readonly certificateFile: string | undefined;
  readonly privateKeyFile: string | undefined;
  readonly keystore: string | undefined;
  readonly keystorePass: string;
  readonly keystoreType: string;
  // ---- models ----------------------------------------------------------------------------
  /** Absolute when `cwd` was given to `buildServerConfig`. */
  readonly modelStore: string | undefined;
  /** Defaults to `modelStore`. */
  readonly workflowStore: string | undefined;
  /** `'all'`, or the `[name=]url` entries (empty: load nothing). Ignored when `modelSnapshot` is set. */
  readonly loadModels: 'all' | readonly LoadModelEntry[];
  /** `models=` per-model overrides (empty map when unset). */
  readonly models: ModelTable<ModelVersionProperties>;
  readonly modelSnapshot: ModelSnapshot | undefined;
  readonly defaultServiceHandler: string | undefined;
  readonly serviceEnvelope: ServiceEnvelope | undefined;
  /** Compiled `allowed_urls`: anchored (`^(?:…)$`), case-insensitive. */
  readonly allowedUrls: readonly RegExp[];
  readonly useEnvAllowedUrls: boolean;
  /** `TS_MODEL_SERVER_HOME` (always read) > `model_server_home`. */
  readonly modelServerHome: string | undefined;
  readonly installPyDepPerModel: boolean;
  readonly limitMaxImagePixels: boolean;
  readonly decodeInputRequest: boolean;
  // ---- workers ---------------------------------------------------------------------------
  readonly defaultWorkersPerModel: number;
  readonly jobQueueSize: number;
  /** Seconds. */
  readonly defaultResponseTimeout: number;
  /** Seconds. */
  readonly defaultStartupTimeout: number;
  /** Seconds. */
  readonly unregisterModelTimeout: number;
  /** undefined: all detected GPUs. */
  readonly numberOfGpu: number | undefined;
  /** Bytes. */
  readonly maxRequestSize: number;
  /** Bytes. */
  readonly maxResponseSize: number;
  /** Regex source ('' matches nothing useful: TorchServe's default). */
  readonly blacklistEnvVars: string;
  readonly initialWorkerPort: number;
  readonly initialDistributionPort: number;
  readonly debug: boolean;
  readonly cpuLauncherEnable: boolean;
  readonly cpuLauncherArgs: string | undefined;
  readonly ipexEnable: boolean;
  readonly ipexGpuEnable: boolean;
  /** Env `TS_OPEN_INFERENCE_PROTOCOL`, when set, decides alone (`oip` enables). */
  readonly tsOpenInferenceProtocol: boolean;
  readonly tsHeaderKeySequenceId: string;
  readonly tsHeaderKeySequenceStart: string;
  readonly tsHeaderKeySequenceEnd: string;
  readonly cppLogConfig: string | undefined;
  readonly vmargs: string | undefined;
  readonly pluginsPath: string | undefined;
  // ---- security / APIs -------------------------------------------------------------------
  readonly disableTokenAuthorization: boolean;
  /** Minutes. */
  readonly tokenExpirationMin: number;
  readonly enableModelApi: boolean;
  readonly enableEnvvarsConfig: boolean;
  // ---- metrics / logging -----------------------------------------------------------------
  readonly enableMetricsApi: boolean;
  readonly metricsMode: MetricsMode;
  readonly metricsConfig: string | undefined;
  readonly modelMetricsAutoDetect: boolean;
  readonly disableSystemMetrics: boolean;
  readonly systemMetricsCmd: string | undefined;
  /** Seconds. */
  readonly metricTimeInterval: number;
  readonly asyncLogging: boolean;
  // ---- nserve's own keys -----------------------------------------------------------------
  /** Bytes one archive may expand to. */
  readonly maxArchiveUncompressedBytes: number;
  readonly maxArchiveEntries: number;
  readonly maxArchiveCompressionRatio: number;
  /** Extraction directory (absolute when `cwd` was given). */
  readonly tmpDir: string;
  // ---- process context (not properties) ---------------------------------------------------
  /** `--ncs`: snapshots are neither read nor written. */
  readonly noConfigSnapshots: boolean;
  /** Env `LOG_LOCATION` (default `logs`); snapshots live in `<logLocation>/config`. */
  readonly logLocation: string;
  /** Env `METRICS_LOCATION` (default `logs`). */
  readonly metricsLocation: string;
  /**
   * The effective properties as strings (file after `$$VAR$$`, then CLI, then env), for
   * snapshots and the start-up banner. Defaults are not included.
   */
  readonly properties: ReadonlyMap<string, string>;
}
