/**
 * `nserve` command line, flag-compatible with `torchserve` (ts/arg_parser.py). Pure.
 * Like argparse: `--flag value` or `--flag=value`, `--models` takes one or more values,
 * unknown arguments are a usage error (exit 2). A leading `torchserve` is skipped: KServe's
 * `kserve-torchserve` runtime passes `torchserve --start --model-store=… --ts-config=…` as the
 * image's arguments.
 */
import type { CliOverrides } from '../config/index.js';

export interface CliArgs {
  action: 'start' | 'stop' | 'help' | 'version';
  foreground: boolean;
  tsConfig?: string;
  modelStore?: string;
  workflowStore?: string;
  models?: string[];
  logConfig?: string;
  cppLogConfig?: string;
  pluginsPath?: string;
  ncs: boolean;
  disableTokenAuth: boolean;
  enableModelApi: boolean;
}

export class UsageError extends Error {}

type ValueFlag = 'tsConfig' | 'modelStore' | 'workflowStore' | 'logConfig' | 'cppLogConfig' | 'pluginsPath';

const VALUE_FLAGS: Record<string, ValueFlag> = {
  '--ts-config': 'tsConfig',
  '--model-store': 'modelStore',
  '--workflow-store': 'workflowStore',
  '--log-config': 'logConfig',
  '--cpp-log-config': 'cppLogConfig',
  '--plugins-path': 'pluginsPath',
  '--ppath': 'pluginsPath',
};

export const USAGE = `usage: nserve [-h] [-v | --start | --stop] [--ts-config TS_CONFIG] [--model-store MODEL_STORE]
              [--workflow-store WORKFLOW_STORE] [--models MODEL_PATH1 MODEL_NAME=MODEL_PATH2 ... [MODEL_PATH1 MODEL_NAME=MODEL_PATH2 ... ...]]
              [--log-config LOG_CONFIG] [--cpp-log-config CPP_LOG_CONFIG] [--foreground] [--no-config-snapshots]
              [--plugins-path PLUGINS_PATH] [--disable-token-auth] [--enable-model-api]

nserve: a TorchServe-compatible model server for ONNX models

options:
  -h, --help            show this help message and exit
  -v, --version         Return nserve Version
  --start               Start the model-server (the default action)
  --stop                Stop the model-server
  --ts-config TS_CONFIG
                        Configuration file for model server
  --model-store MODEL_STORE
                        Model store location from where local or default models can be loaded
  --workflow-store WORKFLOW_STORE
                        Workflow store location (default: the model store)
  --models MODEL_PATH1 MODEL_NAME=MODEL_PATH2 ...
                        Models to be loaded using [model_name=]model_location format, or "all"
  --log-config LOG_CONFIG
                        Log configuration file (accepted for compatibility; see NSERVE_LOG_LEVEL)
  --cpp-log-config CPP_LOG_CONFIG
                        Accepted for compatibility; ignored
  --foreground          Run the model server in foreground
  --no-config-snapshots, --ncs
                        Prevents the server from storing config snapshot files
  --plugins-path PLUGINS_PATH, --ppath PLUGINS_PATH
                        Accepted for compatibility; nserve has no Java plugins
  --disable-token-auth, --dt
                        Disable token authorization
  --enable-model-api    Enable model register/unregister through the management API

environment:
  NSERVE_LOG_LEVEL      error | warn | info (default) | debug (debug adds an access log line per request)
  PORT                  serve inference on http://0.0.0.0:$PORT (the inference address when inference_address
                        is not set, else an extra inference-only listener opened once the models are loaded)
  NSERVE_KSERVE_PORT    the same extra listener without Knative (or kserve_http_port in config.properties)

A leading 'torchserve' argument is ignored. --start serves in the foreground when nserve is PID 1 or runs
in a Kubernetes pod (KUBERNETES_SERVICE_HOST set).`;

export function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { action: 'start', foreground: false, ncs: false, disableTokenAuth: false, enableModelApi: false };
  const setAction = (action: CliArgs['action']): void => {
    if (args.action !== 'start' && args.action !== action) throw new UsageError(`argument ${action === 'stop' ? '--stop' : action === 'version' ? '-v/--version' : '--start'}: not allowed with another action`);
    args.action = action;
  };
  for (let i = argv[0] === 'torchserve' ? 1 : 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined;
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) throw new UsageError(`argument ${flag}: expected one argument`);
      i++;
      return next;
    };
    const field = VALUE_FLAGS[flag];
    if (field !== undefined) {
      args[field] = takeValue();
      continue;
    }
    switch (flag) {
      case '-h':
      case '--help':
        args.action = 'help';
        return args;
      case '-v':
      case '--version':
        setAction('version');
        break;
      case '--start':
        break;
      case '--stop':
        setAction('stop');
        break;
      case '--foreground':
        args.foreground = true;
        break;
      case '--ncs':
      case '--no-config-snapshots':
        args.ncs = true;
        break;
      case '--dt':
      case '--disable-token-auth':
        args.disableTokenAuth = true;
        break;
      case '--enable-model-api':
        args.enableModelApi = true;
        break;
      case '--models': {
        const models = inline !== undefined ? [inline] : [];
        while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) models.push(argv[++i]!);
        if (models.length === 0) throw new UsageError('argument --models: expected at least one argument');
        args.models = [...(args.models ?? []), ...models];
        break;
      }
      default:
        throw new UsageError(`unrecognized arguments: ${raw}`);
    }
  }
  return args;
}

/** The overrides `config/loadConfig` applies on top of the file. */
export function cliOverrides(args: CliArgs): CliOverrides {
  const cli: CliOverrides = {};
  if (args.tsConfig !== undefined) cli.tsConfig = args.tsConfig;
  if (args.modelStore !== undefined) cli.modelStore = args.modelStore;
  if (args.workflowStore !== undefined) cli.workflowStore = args.workflowStore;
  if (args.models !== undefined) cli.models = args.models;
  if (args.ncs) cli.ncs = true;
  if (args.disableTokenAuth) cli.disableTokenAuth = true;
  if (args.enableModelApi) cli.enableModelApi = true;
  return cli;
}

/** Arguments for the detached `--foreground` child of a background `--start`. */
export function foregroundArgv(argv: readonly string[]): string[] {
  return [...argv.filter((a) => a !== '--start' && a !== '--foreground'), '--foreground'];
}
