import { describe, expect, it } from 'vitest';
import { parseArchiverArgs, UsageError } from '../../../src/archiver/args.js';

const base = ['--model-name', 'sdxl', '-v', '1.0', '--handler', 'stable_diffusion_xl'];

describe('parseArchiverArgs', () => {
  it('accepts torch-model-archiver\'s flags, long and short, with = or a separate value', () => {
    const parsed = parseArchiverArgs(
      [
        '--model-name=sdxl', '--version', '2.0', '--serialized-file', 'model.zip', '--model-file', 'm.py', '--handler', 'h.js:Export',
        '--extra-files', 'refiner.zip, tokenizer/ ,', '-r', 'req.txt', '-c', 'cfg.yaml', '--runtime', 'python3',
        '--archive-format', 'zip-store', '--export-path', '/out', '-f',
      ],
      '/cwd',
    );
    expect(parsed).toEqual({
      kind: 'run',
      options: {
        modelName: 'sdxl', version: '2.0', serializedFile: 'model.zip', modelFile: 'm.py', handler: 'h.js:Export',
        extraFiles: ['refiner.zip', 'tokenizer/'], requirementsFile: 'req.txt', configFile: 'cfg.yaml', runtime: 'python3',
        archiveFormat: 'zip-store', exportPath: '/out', force: true,
      },
    });
  });

  it('defaults: runtime python, format default, export path = cwd, no force', () => {
    expect(parseArchiverArgs(base, '/cwd')).toEqual({
      kind: 'run',
      options: { modelName: 'sdxl', version: '1.0', handler: 'stable_diffusion_xl', extraFiles: [], runtime: 'python', archiveFormat: 'default', exportPath: '/cwd', force: false },
    });
  });

  it('answers help', () => {
    expect(parseArchiverArgs(['-h'], '/')).toEqual({ kind: 'help' });
    expect(parseArchiverArgs([...base, '--help'], '/')).toEqual({ kind: 'help' });
  });

  it('explains every command-line mistake in one line', () => {
    const cases: [string[], string][] = [
      [[], 'the following arguments are required: --model-name, --handler, -v/--version'],
      [['--model-name', 'a', '--handler', 'onnx'], 'the following arguments are required: -v/--version'],
      [[...base, '--bogus'], 'unrecognized arguments: --bogus'],
      [[...base, '--export-path'], 'argument --export-path: expected one argument'],
      [['--model-name', '-v', '1'], 'argument --model-name: expected one argument'],
      [[...base, '--runtime', 'python4'], "argument --runtime: invalid choice: 'python4' (choose from 'python', 'python3', 'LSP')"],
      [[...base, '--archive-format', 'zip'], "argument --archive-format: invalid choice: 'zip' (choose from 'tgz', 'no-archive', 'zip-store', 'default')"],
      [['--model-name', '../evil', '-v', '1', '--handler', 'x'], 'argument --model-name: invalid model name "../evil"'],
      [['--model-name', '_a', '-v', '1', '--handler', 'x'], 'argument --model-name: invalid model name "_a"'],
    ];
    for (const [argv, message] of cases) {
      let caught: unknown;
      try {
        parseArchiverArgs(argv, '/');
      } catch (err) {
        caught = err;
      }
      expect(caught, argv.join(' ')).toBeInstanceOf(UsageError);
      expect((caught as Error).message.startsWith(message), `${argv.join(' ')} -> ${(caught as Error).message}`).toBe(true);
      expect((caught as Error).message).not.toContain('\n');
    }
  });
});
