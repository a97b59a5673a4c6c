/**
 * The composition root, and the only place everything meets (ARCHITECTURE-GUIDE 7.2):
 * (1) parse argv, then `loadConfig`; (2) build metrics, auth, the serving core and the config
 * snapshot writer; (3) start the REST listeners and the gRPC servers; (4) load the start-up
 * models, restore default versions, write the startup snapshot, open the late-bound KServe port
 * (`PORT`) and print `Model server started.`; (5) on SIGTERM/SIGINT stop accepting, drain,
 * write the shutdown snapshot and close in reverse order.
 *
 * Start-up failures (bad config, busy port, missing model store) print ONE line on stderr and
 * exit with code 2, without a stack trace.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTokenAuth } from './auth/index.js';
import { ConfigError } from './errors/index.js';
import { cliOverrides, foregroundArgv, parseArgs, USAGE, UsageError, type CliArgs } from './cli/args.js';
import { createConsoleLogger, parseLogLevel, type Logger } from './cli/logger.js';
import { defaultPidFile, removePid, runningServer, writePid } from './cli/pid-file.js';
import { stopServer } from './cli/stop.js';
import { containerForegroundReason } from './cli/container.js';
import { formatAddress, loadConfig, sameListener, type ServerConfig } from './config/index.js';
import { createServingCore } from './core/index.js';
import { servingCoreOptions, startupModels } from './cli/core-options.js';
import { createMetrics } from './metrics/index.js';
import { observeManagement, restoreDefaultVersions, SnapshotWriter } from './snapshot/index.js';
import { createGrpcServers, type ConnectionAge } from './protocols/grpc/index.js';
import { portEnvAddress } from './protocols/http/addresses.js';
import { createAuthHook } from './protocols/http/auth-hook.js';
import { planListeners, startListeners } from './protocols/http/listeners.js';
import type { StartListenersOptions } from './protocols/http/listeners.js';
import { startKserveListeners } from './protocols/http/kserve-listener.js';
import { kservePortRequests, portsInUse } from './protocols/http/kserve-port.js';
import { tokenRoutes } from './protocols/http/token-routes.js';
import { metricsRoutes } from './protocols/metrics/routes.js';
import { torchServeManagementRoutes } from './protocols/torchserve/management-routes.js';
import { openApiDocument } from './protocols/torchserve/openapi.js';
import { vertexSettings } from './protocols/vertex/settings.js';
import { planFrontEnds } from './front-end/front-end-plan.js';
import { startFrontEndThreads, type FrontEndThreads } from './front-end/front-end-threads.js';
import { inferenceRoutePlugins, type InferenceRoutesSpec } from './front-end/inference-plugins.js';
import { managementCalls } from './front-end/management-calls.js';
import { errorMessage } from './util/error-message.js';

export interface MainOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  pidFile?: string;
}

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STARTUP_FAILURE = 2;
/** How long in-flight requests may finish after SIGTERM before connections are cut. */
const DRAIN_MS = 10_000;

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs the command line; resolves to the exit code (a foreground server resolves at shutdown). */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const pidFile = options.pidFile ?? env.NSERVE_PID_FILE ?? defaultPidFile();
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${USAGE.split('\n')[0]}\nnserve: error: ${err.message}\n`);
    return STARTUP_FAILURE;
  }
  if (args.action === 'help') return print(USAGE, 0);
  if (args.action === 'version') return print(`nserve Version is ${packageVersion()}`, 0);
  if (args.action === 'stop') return stopServer({ pidFile, cwd, out: (line) => process.stdout.write(`${line}\n`) });

  const running = runningServer(pidFile);
  if (running !== undefined) return print('nserve is already running, please use nserve --stop to stop nserve.', 1);
  // PID 1 or a Kubernetes pod (KServe runs `torchserve --start`): a detached child would end the container.
  const container = args.foreground ? undefined : containerForegroundReason(env, process.pid);
  if (container !== undefined) args = { ...args, foreground: true };
  // A background start only checks the configuration; its foreground child does the logging.
  const logger = createConsoleLogger({ level: args.foreground ? parseLogLevel(env.NSERVE_LOG_LEVEL) : 'error' });
  if (container !== undefined) logger.info(container);
  let config: ServerConfig;
  try {
    config = await checkedConfig(args, env, cwd, logger);
  } catch (err) {
    return failStartup(err);
  }
  if (!args.foreground) return startInBackground(argv, pidFile);
  writePid(pidFile, process.pid);
  try {
    return await serve(config, { env, cwd, logger });
  } finally {
    removePid(pidFile, process.pid);
  }
}

/** `loadConfig` plus the `torchserve` CLI's own checks (model store given and present). */
async function checkedConfig(args: CliArgs, env: Record<string, string | undefined>, cwd: string, logger: Logger): Promise<ServerConfig> {
  if (args.logConfig !== undefined && !existsSync(resolve(cwd, args.logConfig))) throw new Error(`--log-config file not found: ${args.logConfig}`);
  const cli = cliOverrides(args);
  let loaded = await loadConfig({ cli, env, cwd, log: logger });
  // Vertex: a local AIP_STORAGE_URI is the model store when none is configured.
  const vertexStore = vertexSettings(env)?.modelStore;
  if (loaded.config.modelStore === undefined && vertexStore !== undefined) loaded = await loadConfig({ cli: { ...cli, modelStore: vertexStore }, env, cwd });
  const { config, warnings } = loaded;
  for (const warning of warnings) logger.warn(warning);
  if (config.modelStore === undefined) throw new Error('Missing mandatory parameter --model-store');
  if (!isDirectory(config.modelStore)) throw new Error(`--model-store directory not found: ${config.modelStore}`);
  if (args.logConfig !== undefined) logger.info(`--log-config ${args.logConfig} is accepted for compatibility; nserve logs to the console (NSERVE_LOG_LEVEL)`);
  return config;
}

/** Re-runs this command detached with `--foreground`; its output stays on this terminal/pipe. */
function startInBackground(argv: readonly string[], pidFile: string): number {
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'nserve.js'), ...foregroundArgv(argv)], { detached: true, stdio: 'inherit' });
  if (child.pid === undefined) return failStartup(new Error('could not start the server process'));
  writePid(pidFile, child.pid);
  child.unref();
  return 0;
}

interface ServeContext {
  env: Record<string, string | undefined>;
  cwd: string;
  logger: Logger;
}

async function serve(config: ServerConfig, { env, cwd, logger }: ServeContext): Promise<number> {
  const closers: { name: string; close: () => Promise<void> | void }[] = [];
  const closeAll = async (): Promise<void> => {
    for (const { name, close } of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        logger.error(`closing ${name} failed: ${oneLine(err)}`);
      }
    }
    closers.length = 0;
  };
  let stopping: Promise<void> | undefined;
  let release: (() => void) | undefined;
  const stopped = new Promise<void>((r) => (release = r));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping !== undefined) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    logger.info(`${signal} received: draining in-flight requests (up to ${DRAIN_MS / 1000} s), then stopping`);
    stopping = closeAll().then(() => release?.());
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    // Per-request debug strings (metric log lines, access log) are not even built below debug.
    const debug = logger.enabled('debug');
    const metrics = createMetrics({
      mode: config.metricsMode,
      hostname: hostname(),
      ...(debug ? { log: (line: string) => logger.debug(line) } : {}),
      systemMetrics: !config.disableSystemMetrics,
      systemMetricsIntervalMs: config.metricTimeInterval * 1000,
    });
    closers.push({ name: 'metrics', close: () => metrics.close() });

    const auth = createTokenAuth({ enabled: !config.disableTokenAuthorization, keyFile: join(cwd, 'key_file.json'), expirationMin: config.tokenExpirationMin });
    await auth.start();
    closers.push({ name: 'token auth', close: () => auth.close() });
    if (auth.enabled) logger.info(`Token authorization is enabled: keys are in ${auth.keyFile} (send "Authorization: Bearer <key>")`);
    else logger.info('Token authorization is disabled');

    const core = createServingCore(servingCoreOptions(config, metrics, logger));
    closers.push({ name: 'serving core', close: () => core.close() });
    // Config snapshots (spec §4.5) unless --ncs; closed after the listeners, before the core.
    const snapshots = config.noConfigSnapshots
      ? undefined
      : new SnapshotWriter({ dir: resolve(cwd, config.logLocation, 'config'), properties: config.properties, management: core.management, modelStore: config.modelStore, log: logger });
    if (snapshots !== undefined) closers.push({ name: 'config snapshots', close: async () => void (await snapshots.close()) });
    const { inference } = core;
    const management = snapshots === undefined ? core.management : observeManagement(core.management, () => snapshots.changed());

    const vertex = vertexSettings(env);
    const explicit = config.properties.has('inference_address');
    const override = vertex !== undefined && !explicit ? { scheme: 'http' as const, host: '0.0.0.0', port: vertex.port } : portEnvAddress(env, explicit);
    const inferenceAddress = override ?? config.inferenceAddress;
    // KServe: PORT / NSERVE_KSERVE_PORT / kserve_http_port get an inference listener once the models are loaded.
    const kservePorts = kservePortRequests({ env, configured: config.properties.get('kserve_http_port') });
    // On a combined inference+management listener KServe v1's own `GET /v1/models/{m}` answers readiness.
    const combined = sameListener(inferenceAddress, config.managementAddress);
    const exemptPaths = vertex === undefined ? [] : [vertex.healthRoute];
    const version = packageVersion();
    const routesSpec: InferenceRoutesSpec = { serviceEnvelope: config.serviceEnvelope, vertex, version };
    const metricsAddress = config.enableMetricsApi ? config.metricsAddress : undefined;
    // number_of_netty_threads: front-end threads serve the inference listener (front-end/).
    const frontEndPlan = planFrontEnds(config.numberOfNettyThreads, inferenceAddress, availableParallelism());
    if (frontEndPlan.reason !== undefined && config.numberOfNettyThreads > 0) logger.info(`number_of_netty_threads=${config.numberOfNettyThreads}: inference stays on the main thread: ${frontEndPlan.reason}`);
    let frontEnds: FrontEndThreads | undefined;
    // A scrape first gathers the front-end threads' response counts.
    const exposition = async (names?: readonly string[]): Promise<string> => (await frontEnds?.collect(), metrics.exposition(names));
    // The threads share one socket; libuv would let whichever wakes first accept every waiting
    // connection. One accept per wake-up spreads them (read by libuv at the process's first listen).
    if (frontEndPlan.threads > 0) process.env.UV_TCP_SINGLE_ACCEPT ??= '1';
    const listenerOptions: StartListenersOptions = {
      inferenceAddress,
      managementAddress: config.managementAddress,
      ...(metricsAddress === undefined ? {} : { metricsAddress }),
      maxRequestSize: config.maxRequestSize,
      inference: inferenceRoutePlugins(routesSpec, inference, logger),
      management: [torchServeManagementRoutes({ management, enableModelApi: config.enableModelApi, kserveReadiness: !combined }), tokenRoutes({ auth })],
      metrics: [metricsRoutes({ metrics: { contentType: metrics.contentType, exposition } })],
      hooks: auth.enabled
        ? { inference: [createAuthHook(auth, 'inference', { exemptPaths })], management: [createAuthHook(auth, 'management')] }
        : {},
      apiDescription: (groups) => openApiDocument(groups, version),
      cors: { allowedOrigin: config.corsAllowedOrigin, allowedMethods: config.corsAllowedMethods, allowedHeaders: config.corsAllowedHeaders },
      ...tlsOptions(config),
      logger: debug ? logger : { info: logger.info, warn: logger.warn, error: logger.error },
      onResponseStatus: (status) => metrics.response(status),
    };
    const listeners = await startListeners(listenerOptions);
    closers.push({ name: 'REST listeners', close: () => listeners.close(DRAIN_MS) });
    if (frontEndPlan.threads > 0 && inferenceAddress.scheme !== 'unix') {
      // The inference listener's groups: management and metrics too where they share its address.
      const groups = planListeners(inferenceAddress, config.managementAddress, metricsAddress).find((p) => p.groups.includes('inference'))!.groups;
      const mainInference = listeners.find('inference')!;
      const starting = startFrontEndThreads({
        threads: frontEndPlan.threads,
        main: mainInference.app.server,
        threshold: config.mainThreadConnections,
        // Once the threads take new connections, the main thread's clients reconnect to them.
        onAcceptor: (acceptor) => void (mainInference.drain.releasing = acceptor === 'threads'),
        thread: {
          groups,
          routes: routesSpec,
          ...(groups.includes('management') ? { management: { enableModelApi: config.enableModelApi, kserveReadiness: false } } : {}),
          ...(groups.includes('metrics') ? { metricsContentType: metrics.contentType } : {}),
          maxRequestSize: config.maxRequestSize,
          cors: listenerOptions.cors ?? {},
          ...(inferenceAddress.scheme === 'https' ? { https: requireTls(listenerOptions.tls, formatAddress(inferenceAddress)) } : {}),
          logLevel: logger.enabled('debug') ? 'debug' : logger.enabled('info') ? 'info' : logger.enabled('warn') ? 'warn' : 'error',
          ...(auth.enabled ? { auth: { keys: { inference: auth.keys().inference, management: auth.keys().management }, exemptPaths } } : {}),
        },
        inference,
        calls: {
          ...managementCalls(management),
          'token.refresh': (type: unknown, authorization: string | undefined) => auth.refresh(type, authorization),
          'metrics.exposition': (names: string[] | undefined) => exposition(names),
        },
        onResponseStatus: (status) => metrics.response(status),
        logger,
      });
      // Asked for by number, they must start; chosen by default, the main thread serves alone
      // (it is listening already) when they cannot.
      const started =
        config.numberOfNettyThreads > 0
          ? await starting
          : await starting.catch((err: unknown) => void logger.warn(`front-end threads did not start (${oneLine(err)}); the main thread serves inference alone`));
      if (started !== undefined) {
        frontEnds = started;
        closers.push({ name: 'front-end threads', close: () => started.close(DRAIN_MS) });
        auth.onRefresh((kind, key) => started.updateKey(kind, key));
        const when = config.mainThreadConnections === 0 ? 'every new connection' : `new connections while the main thread holds ${config.mainThreadConnections} or more`;
        logger.info(`${formatAddress({ ...inferenceAddress, port: started.port })} (${groups.join(', ')}): ${started.size} front-end threads take ${when}`);
      }
    }

    const grpc = await createGrpcServers({
      inference,
      management,
      inferenceHost: config.grpcInferenceAddress,
      inferencePort: config.grpcInferencePort,
      managementHost: config.grpcManagementAddress,
      managementPort: config.grpcManagementPort,
      maxRequestSize: config.maxRequestSize,
      maxResponseSize: config.maxResponseSize,
      enableModelApi: config.enableModelApi,
      ...(auth.enabled ? { authorize: (kind: 'inference' | 'management', header: string | undefined) => auth.validate(kind, header) } : {}),
      ...(debug ? { log: (line: string) => logger.debug(line) } : {}),
      serverVersion: version,
      inferenceConnection: connectionAge(config.grpcInferenceMaxConnectionAgeMs, config.grpcInferenceMaxConnectionAgeGraceMs),
      managementConnection: connectionAge(config.grpcManagementMaxConnectionAgeMs, config.grpcManagementMaxConnectionAgeGraceMs),
    });
    closers.push({ name: 'gRPC servers', close: () => grpc.close() });
    logger.info(`gRPC inference on ${config.grpcInferenceAddress}:${grpc.inferencePort}, management on ${config.grpcManagementAddress}:${grpc.managementPort}`);

    await core.loadStartupModels(startupModels(config));
    if (config.modelSnapshot !== undefined) await restoreDefaultVersions(core.management, config.modelSnapshot, logger);
    await snapshots?.start();
    // Late bind: the KServe port opens only now, so a TCP readiness probe that connects means "loaded".
    if (stopping === undefined && kservePorts.length > 0) {
      const kserve = await startKserveListeners({ requests: kservePorts, inUse: portsInUse(listeners.listeners, [grpc.inferencePort, grpc.managementPort]), listener: listenerOptions, logger });
      closers.push({ name: 'KServe listeners', close: () => kserve.close(DRAIN_MS) });
    }
    process.stdout.write('Model server started.\n');
  } catch (err) {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await closeAll();
    return failStartup(err);
  }
  await stopped;
  await stopping;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  logger.info('nserve stopped');
  return 0;
}

/** TLS material for `https://` listeners: PEM key + certificate, or a PKCS12 keystore. */
function tlsOptions(config: ServerConfig): { tls?: Record<string, unknown> } {
  if (config.privateKeyFile !== undefined && config.certificateFile !== undefined) {
    return { tls: { key: readFileSync(config.privateKeyFile), cert: readFileSync(config.certificateFile) } };
  }
  if (config.keystore !== undefined && config.keystoreType.toUpperCase() === 'PKCS12') {
    return { tls: { pfx: readFileSync(config.keystore), passphrase: config.keystorePass } };
  }
  return {};
}

/** TLS material for an https inference address served by front-end threads. */
function requireTls(tls: Record<string, unknown> | undefined, address: string): Record<string, unknown> {
  if (tls === undefined) throw new ConfigError('inference_address', address, 'private_key_file and certificate_file (or keystore) for an https address');
  return tls;
}

function connectionAge(maxAgeMs: number | undefined, maxAgeGraceMs: number | undefined): ConnectionAge {
  const age: ConnectionAge = {};
  if (maxAgeMs !== undefined) age.maxAgeMs = maxAgeMs;
  if (maxAgeGraceMs !== undefined) age.maxAgeGraceMs = maxAgeGraceMs;
  return age;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function oneLine(err: unknown): string {
  return errorMessage(err).replace(/\s*\n\s*/g, ' ').trim();
}

function failStartup(err: unknown): number {
  process.stderr.write(`nserve: ${oneLine(err)}\n`);
  return STARTUP_FAILURE;
}

function print(text: string, code: number): number {
  process.stdout.write(`${text}\n`);
  return code;
}
