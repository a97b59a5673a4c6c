import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/errors.js';
import { decodeLatin1, parseProperties } from '../../../src/config/properties.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'config');

/** [rule, text, expected entries in order] */
const cases: Array<[string, string, Array<[string, string]>]> = [
  ['= separator', 'a=b', [['a', 'b']]],
  [': separator', 'a:b', [['a', 'b']]],
  ['whitespace separator', 'a b', [['a', 'b']]],
  ['tab separator', 'a\tb', [['a', 'b']]],
  ['blanks around the separator are skipped', 'a  =  b', [['a', 'b']]],
  ['blanks then : is still the separator', 'a   :b', [['a', 'b']]],
  ['only the first separator splits', 'a=b=c:d', [['a', 'b=c:d']]],
  ['a second = after the separator belongs to the value', 'a = = b', [['a', '= b']]],
  ['leading blanks of a line are skipped', '   \t a=b', [['a', 'b']]],
  ['# comment', '# a=b\nc=d', [['c', 'd']]],
  ['! comment', '! a=b\nc=d', [['c', 'd']]],
  ['indented comment', '   # a=b', []],
  ['# inside a value is data', 'a=b#c', [['a', 'b#c']]],
  ['blank lines are skipped', '\n\n  \na=b\n\n', [['a', 'b']]],
  ['key without value', 'lonely', [['lonely', '']]],
  ['key with separator and no value', 'k=', [['k', '']]],
  ['trailing whitespace of a value is kept', 'a=b  \t', [['a', 'b  \t']]],
  ['CRLF line ends', 'a=1\r\nb=2\r\n', [['a', '1'], ['b', '2']]],
  ['CR line ends', 'a=1\rb=2', [['a', '1'], ['b', '2']]],
  ['continuation joins lines', 'a=one\\\ntwo', [['a', 'onetwo']]],
  ['continuation drops leading blanks of the next line', 'a=one \\\n     two', [['a', 'one two']]],
  ['continuation across several lines', 'a={\\\n  "x": 1,\\\n  "y": 2\\\n}', [['a', '{"x": 1,"y": 2}']]],
  ['continuation with CRLF', 'a=one\\\r\n  two\r\nb=3', [['a', 'onetwo'], ['b', '3']]],
  ['even number of backslashes does not continue', 'a=x\\\\\nb=y', [['a', 'x\\'], ['b', 'y']]],
  ['odd number (3) continues', 'a=x\\\\\\\ny', [['a', 'x\\y']]],
  ['# on a continuation line is data', 'a=1\\\n#2', [['a', '1#2']]],
  ['a comment ending in \\ does not continue', '# c \\\na=b', [['a', 'b']]],
  ['an empty continuation line ends the value', 'a=1\\\n\nb=2', [['a', '1'], ['b', '2']]],
  ['a blank-only continuation line ends the value', 'a=1\\\n   \nb=2', [['a', '1'], ['b', '2']]],
  ['a trailing backslash at end of input is dropped', 'a=1\\', [['a', '1']]],
  ['continued key', 'ke\\\n  y=v', [['key', 'v']]],
  ['escapes \\t \\n \\r \\f', 'a=1\\t2\\n3\\r4\\f5', [['a', '1\t2\n3\r4\f5']]],
  ['\\uXXXX escape', 'a=\\u0041\\u00e9\\u20AC', [['a', 'Aé€']]],
  ['surrogate pair from two \\u escapes', 'a=\\ud83d\\ude00', [['a', '😀']]],
  ['backslash before other chars yields the char', 'a=\\:\\=\\#\\!\\\\\\q', [['a', ':=#!\\q']]],
  ['escaped separators in a key', 'a\\=b\\:c\\ d=v', [['a=b:c d', 'v']]],
  ['escaped URL as snapshots write it', 'inference_address=https\\://127.0.0.1\\:8443', [['inference_address', 'https://127.0.0.1:8443']]],
  ['escaped leading space in a value is kept', 'a=\\ b', [['a', ' b']]],
  ['last duplicate wins', 'a=1\nb=2\na=3', [['a', '3'], ['b', '2']]],
];

describe('parseProperties (Java .properties grammar)', () => {
  it.each(cases)('%s', (_rule, text, expected) => {
    expect([...parseProperties(text)]).toEqual(expected);
  });

  it.each([['a=\\u00G1'], ['a=\\u12'], ['a=x\\u']])('a malformed \\u escape is a ConfigError naming the key: %s', (text) => {
    expect(() => parseProperties(text)).toThrow(ConfigError);
    expect(() => parseProperties(text)).toThrow(/invalid value for a: .*\\\\u.*expected a \\uXXXX escape/);
  });

  it('reads the continuation fixture (models= JSON over many lines)', () => {
    const props = parseProperties(readFileSync(join(fixtures, 'continuations.properties'), 'latin1'));
    expect(props.get('inference_address')).toBe('https://127.0.0.1:8443');
    expect(props.get('management_address')).toBe('http://127.0.0.1:8444');
    expect(props.get('metrics_address')).toBe('http://127.0.0.1:9082');
    expect(props.get('default_service_handler')).toBe('my_handler.js:Handler');
    const models = JSON.parse(props.get('models') as string);
    expect(models.noop['1.0']).toMatchObject({ marName: 'noop.mar', minWorkers: 2, batchSize: 8 });
    expect(models.sdxl['2.0'].startupTimeout).toBe(2400);
    expect([...props.keys()]).toEqual([
      'inference_address',
      'management_address',
      'metrics_address',
      'models',
      'load_models',
      'default_service_handler',
    ]);
  });
});

describe('decodeLatin1', () => {
  it('maps every byte to the code point of the same value', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const text = decodeLatin1(all);
    expect(text.length).toBe(256);
    expect([...text].map((c) => c.charCodeAt(0))).toEqual([...all]);
  });

  it('reads a UTF-8 é as two Latin-1 characters, as Java does', () => {
    expect(decodeLatin1(Buffer.from('é', 'utf8'))).toBe('Ã©');
  });

  it('decodes a sub-view of a larger buffer without reading outside it', () => {
    const big = Buffer.from('xxa=\xe9yy', 'latin1');
    expect(decodeLatin1(big.subarray(2, 5))).toBe('a=é');
  });

  it('a Latin-1 file parses to the right characters', () => {
    const props = parseProperties(decodeLatin1(readFileSync(join(fixtures, 'latin1.properties'))));
    expect(props.get('default_service_handler')).toBe('café');
    expect(props.get('cors_allowed_origin')).toBe('été');
  });
});
