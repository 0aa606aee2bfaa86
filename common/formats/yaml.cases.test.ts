import { describe, expect, it } from 'vitest';
import { hasPyYaml as pyyaml, pyYamlLoad as pyLoad } from './test-helpers.js';
import { parseYaml, resolvePlain, stringifyYaml, yamlString, type YamlValue } from './yaml.js';

const read = (s: string) => parseYaml(s).value;

describe('resolvePlain, worked by hand (PyYAML resolver.py)', () => {
  it('reads floats with "_" digit separators', () => {
    // YAML 1.1 floats allow "_" between digits: 1_000.5 is 1000.5 (PyYAML gives the same).
    expect(resolvePlain('1_000.5')).toBe(1000.5);
    expect(resolvePlain('-1_0.5')).toBe(-10.5);
    expect(resolvePlain('1_0.2_5e+1')).toBe(102.5);
  });
});

describe('yamlString escapes, exactly', () => {
  it('writes tab, carriage return and newline as \\t, \\r and \\n', () => {
    // A raw carriage return would end the line in the file; a raw tab would read back but is invisible.
    expect(yamlString('a\tb')).toBe('"a\\tb"');
    expect(yamlString('a\rb')).toBe('"a\\rb"');
    expect(yamlString('a\nb')).toBe('"a\\nb"');
    expect(read(`k: ${yamlString('a\rb')}`)).toEqual({ k: 'a\rb' });
    expect(stringifyYaml({ k: 'x\r\ny' })).toBe('k: "x\\r\\ny"\n');
  });

  it('escapes characters YAML does not allow raw: \\xHH up to U+00FF, \\uHHHH above, upper-case hex', () => {
    expect(yamlString('\u0000')).toBe('"\\x00"');
    expect(yamlString('a\u0007')).toBe('"a\\x07"');
    expect(yamlString('\u007f')).toBe('"\\x7F"');
    expect(yamlString('\u0085')).toBe('"\\x85"'); // NEL is printable to YAML, but a line break to its readers
    expect(yamlString('\uFFFE')).toBe('"\\uFFFE"');
    expect(yamlString('\uFFFF')).toBe('"\\uFFFF"');
    expect(yamlString('x\uD800')).toBe('"x\\uD800"'); // a lone surrogate
    for (const s of ['\u0000', 'a\u0007', '\u007f', '\u0085', '\uFFFE', '\uFFFF', 'x\uD800']) expect(read(`k: ${yamlString(s)}`)).toEqual({ k: s });
  });

  it('keeps printable characters outside ASCII as they are (quoted, not escaped)', () => {
    expect(yamlString('x😀')).toBe('"x😀"');
    expect(yamlString('é')).toBe('"é"');
    expect(yamlString('\uE000')).toBe('"\uE000"');
    expect(yamlString('\u00FF')).toBe('"\u00FF"');
  });
});

describe('stringifyYaml numbers, exactly', () => {
  it('writes NaN and the infinities as YAML 1.1 spells them', () => {
    expect(stringifyYaml({ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY })).toBe('a: .nan\nb: .inf\nc: -.inf\n');
    const back = read(stringifyYaml({ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY })) as Record<string, number>;
    expect([Number.isNaN(back.a), back.b, back.c]).toEqual([true, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it('writes plain decimals as they are and exponents with a dot and a signed exponent', () => {
    // PyYAML reads "1e-07" and "1e+21" as strings: a float in exponent form needs a dot and a sign.
    const cases: [number, string][] = [
      [0.5, '0.5'], [-1.25, '-1.25'], [123456789012, '123456789012'], [-7, '-7'],
      [1e-7, '1.0e-7'], [2.5e-7, '2.5e-7'], [-1e-7, '-1.0e-7'],
      [1e21, '1.0e+21'], [-1e21, '-1.0e+21'], [1e22, '1.0e+22'], [1.5e300, '1.5e+300'],
      [999999999999999900000, '999999999999999900000'],
    ];
    for (const [v, text] of cases) {
      expect([v, stringifyYaml({ a: v })]).toEqual([v, `a: ${text}\n`]);
      expect([v, read(`a: ${text}`)]).toEqual([v, { a: v }]);
    }
  });
});

describe('stringifyYaml layout of nested sequences', () => {
  it('writes a sequence of collections as a bare "-" with its items under it', () => {
    const doc = { a: [[[1], [2]], 'x'], b: [{ k: 1 }, 'y', [3]] };
    const text = stringifyYaml(doc);
    expect(text).toBe(['a:', '  -', '    - [1]', '    - [2]', '  - x', 'b:', '  - k: 1', '  - "y"', '  - [3]', ''].join('\n'));
    expect(JSON.parse(JSON.stringify(read(text)))).toEqual(doc);
  });
});

describe.skipIf(!pyyaml)('PyYAML reads the exact texts above as the same values', () => {
  it('escapes and numbers', () => {
    const values: YamlValue[] = ['a\tb', 'a\rb', 'x\r\ny', '\u0000', '\u007f', '\u0085', '\uFFFE', '\uFFFF', 'x😀', '\uE000', 0.5, 1e-7, 2.5e-7, 1e21, -1e21, 1.5e300];
    const texts = values.map((v) => stringifyYaml({ v }));
    expect(pyLoad(texts)).toEqual(values.map((v) => ({ v })));
    expect(pyLoad(['v: .nan', 'v: .inf', 'v: -.inf', 'v: 1_000.5', 'v: -1_0.5'])).toEqual([{ v: 'nan' }, { v: 'inf' }, { v: '-inf' }, { v: 1000.5 }, { v: -10.5 }]);
  });
});
