import { describe, expect, it } from 'vitest';
import { cliOverrides, foregroundArgv, parseArgs } from '../../../src/cli/args.js';

describe('nserve command line', () => {
  it('defaults to a background start', () => {
    expect(parseArgs([])).toEqual({ action: 'start', foreground: false, ncs: false, disableTokenAuth: false, enableModelApi: false });
  });

  it('reads torchserve flags, aliases and --flag=value', () => {
    const args = parseArgs(['--start', '--foreground', '--ts-config=c.properties', '--model-store', 'store', '--models', 'all', 'b=b.mar', '--ncs', '--dt', '--enable-model-api', '--log-config', 'log4j2.xml', '--ppath', 'p']);
    expect(args).toMatchObject({ action: 'start', foreground: true, tsConfig: 'c.properties', modelStore: 'store', models: ['all', 'b=b.mar'], ncs: true, disableTokenAuth: true, enableModelApi: true, logConfig: 'log4j2.xml', pluginsPath: 'p' });
    expect(cliOverrides(args)).toEqual({ tsConfig: 'c.properties', modelStore: 'store', models: ['all', 'b=b.mar'], ncs: true, disableTokenAuth: true, enableModelApi: true });
    expect(parseArgs(['--no-config-snapshots', '--disable-token-auth'])).toMatchObject({ ncs: true, disableTokenAuth: true });
  });

  it("KServe's kserve-torchserve argv: a leading `torchserve` is skipped, TorchServe-only flags are accepted", () => {
    const args = parseArgs(['torchserve', '--start', '--model-store=/mnt/models/model-store', '--ts-config=/mnt/models/config/config.properties', '--disable-token-auth', '--workflow-store', 'w', '--cpp-log-config', 'c.xml', '--plugins-path', 'p', '--log-config=l.xml']);
    expect(args).toMatchObject({ action: 'start', foreground: false, modelStore: '/mnt/models/model-store', tsConfig: '/mnt/models/config/config.properties', disableTokenAuth: true, workflowStore: 'w', cppLogConfig: 'c.xml', pluginsPath: 'p', logConfig: 'l.xml' });
    expect(() => parseArgs(['--start', 'torchserve'])).toThrow('unrecognized arguments: torchserve');
  });

  it('actions: --stop, -v/--version, -h/--help', () => {
    expect(parseArgs(['--stop']).action).toBe('stop');
    expect(parseArgs(['-v']).action).toBe('version');
    expect(parseArgs(['--version']).action).toBe('version');
    expect(parseArgs(['--model-store', 'x', '-h']).action).toBe('help');
  });

  it('usage errors: unknown flag, missing value, conflicting actions', () => {
    expect(() => parseArgs(['--bogus'])).toThrow('unrecognized arguments: --bogus');
    expect(() => parseArgs(['--model-store'])).toThrow('argument --model-store: expected one argument');
    expect(() => parseArgs(['--models', '--ncs'])).toThrow('expected at least one argument');
    expect(() => parseArgs(['--stop', '--version'])).toThrow(/not allowed/);
  });

  it('a background start re-runs itself with --foreground', () => {
    expect(foregroundArgv(['--start', '--model-store', 's', '--ncs'])).toEqual(['--model-store', 's', '--ncs', '--foreground']);
  });
});
