import { describe, expect, it } from 'vitest';
import { createConsoleLogger, type LogLevel } from '../../../src/cli/logger.js';

describe('console logger', () => {
  it.each<[LogLevel, LogLevel[]]>([
    ['error', ['error']],
    ['info', ['error', 'warn', 'info']],
    ['debug', ['error', 'warn', 'info', 'debug']],
  ])('at %s writes and reports enabled exactly %j', (level, expected) => {
    const lines: string[] = [];
    const logger = createConsoleLogger({ level, out: (l) => lines.push(l), err: (l) => lines.push(l), now: () => new Date(0) });
    const all: LogLevel[] = ['error', 'warn', 'info', 'debug'];
    for (const l of all) logger[l](`m-${l}`);
    expect(lines.map((l) => /m-(\w+)$/.exec(l)![1])).toEqual(expected);
    expect(all.filter((l) => logger.enabled(l))).toEqual(expected);
  });
});
