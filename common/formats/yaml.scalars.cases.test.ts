/**
 * Cases for yaml.ts's scalar writer and its flow reader (FlowReader: lineAt, ws, end, value, seq, map), each
 * worked out by hand from the YAML spec and checked against PyYAML 6 `safe_load` (the reader Ultralytics uses).
 * Where this reader refuses what PyYAML would read, that is by design (see yaml.ts's header): the exact message
 * and line are asserted.
 */
import { describe, expect, it } from 'vitest';
import { hasPyYaml as pyyaml, pyYamlLoad as pyLoad, readYaml as read, yamlErrorOf as errorOf } from './test-helpers.js';
import { parseYaml, stringifyYaml, type YamlValue } from './yaml.js';

// ---------------------------------------------------------------- flow mappings

/** Texts both readers read, with the value PyYAML gives (keys as text, as yaml.ts documents). */
const FLOW_READS: [string, unknown][] = [
  // Quoted keys are read as quoted scalars, so ", " and ": " inside them are text, and the quotes go.
  ['m: {"a, b": 1, \'c: d\': 2}', { m: { 'a, b': 1, 'c: d': 2 } }],
  ['m: {"x": 1}', { m: { x: 1 } }],
  ["m: {'y': 2}", { m: { y: 2 } }],
  // Keys without a value are null, and a "," right after a key does not start its value.
  ['m: {a, b}', { m: { a: null, b: null } }],
  ['m: {a: 1, b, c: 3}', { m: { a: 1, b: null, c: 3 } }],
  ['m: {a: , b: }', { m: { a: null, b: null } }],
  // In a flow mapping ":" followed by "[" or "{" is a value indicator (PyYAML's scan_plain), so the key is "a".
  ['m: {a:[x], b:{c: d}}', { m: { a: ['x'], b: { c: 'd' } } }],
];

describe('FlowReader.map reads keys and values as PyYAML does', () => {
  for (const [text, want] of FLOW_READS) {
    it(JSON.stringify(text), () => expect(read(text)).toEqual(want));
  }

  it('gives a plain key that resolves to a bool, number or null as its text, as block keys are', () => {
    // PyYAML gives {True: 'a', 31: 'b', None: 'c', 10: 'd'}; yaml.ts keeps keys as text (its header), in flow and
    // block mappings alike, so "yes" and "0x1F" name the keys written, not "true" or "31".
    const flow = read('m: {yes: a, 0x1F: b, ~: c, 1_0: d}');
    expect(flow).toEqual({ m: { yes: 'a', '0x1F': 'b', '~': 'c', '1_0': 'd' } });
    expect(flow).toEqual(read('m:\n  yes: a\n  0x1F: b\n  ~: c\n  1_0: d'));
  });
});

/** One test per case: [what, text, line, problem]. */
function itRefuses(cases: [string, string, number, string][]): void {
  for (const [what, text, line, problem] of cases) {
    it(`refuses ${what}`, () => {
      const e = errorOf(text);
      expect([e.line, e.problem]).toEqual([line, problem]);
    });
  }
}

describe('FlowReader.map refuses, with the exact message and line', () => {
  const cases: [string, string, number, string][] = [
    // PyYAML also fails on these (ParserError).
    ['text after a value, no ","', 'm: {a: "x" b}', 1, 'expected "," or "}" in a flow mapping, got "b"'],
    ['text after a value on a later line', 'm: {a: 1,\n  b: "x" y}', 2, 'expected "," or "}" in a flow mapping, got "y"'],
    // An apostrophe inside a word opens no quote (PyYAML reads "a'b" as a plain scalar), so the brackets are counted.
    ['a "{" left open, after a ","', "m: {a'b: [x, c'd],", 1, '"{" is not closed before the end of the file'],
    ['a "{" left open, after a value', "m: {a'b: [x, c'd]", 1, '"{" is not closed before the end of the file'],
    // PyYAML fails on these only when it builds the dict (a list or dict is no key); refused here by design.
    ['a flow sequence as a key', 'm: {[a]: b}', 1, 'collections as keys are not supported'],
    ['a flow mapping as a key', 'm: {x: 1,\n  {a: b}: c}', 2, 'collections as keys are not supported'],
  ];
  itRefuses(cases);
});

// ---------------------------------------------------------------- flow sequences

describe('FlowReader.seq refuses, with the exact message and line', () => {
  const cases: [string, string, number, string][] = [
    // PyYAML: ParserError for each.
    ['text after a quoted item, no ","', 'a: ["x" y]', 1, 'expected "," or "]" in a flow sequence, got "y"'],
    ['a "[" left open, after a ","', "a: [a'b, [x, c'd],", 1, '"[" is not closed before the end of the file'],
    ['a "[" left open, after an item', "a: [a'b, [x, c'd]", 1, '"[" is not closed before the end of the file'],
    // PyYAML reads ["a":b] as [{a: b}] (after a quoted key ":" needs no space); "key: value" in [ ] is refused
    // here by design, whatever follows the ":".
    ['"key":value after a quoted key', 'a: ["k":v]', 1, '"key: value" pairs inside "[ ]" are not supported'],
    ['"key": value after a quoted key', "a: ['k': v]", 1, '"key: value" pairs inside "[ ]" are not supported'],
  ];
  itRefuses(cases);
});

describe('FlowReader.end names what follows the value', () => {
  it('quotes the rest of the line after a quoted scalar, not the whole value', () => {
    const e = errorOf('a: 1\nb: "x" y z');
    expect([e.line, e.problem]).toEqual([2, 'unexpected "y z" after the value']);
  });
});

// ---------------------------------------------------------------- lines of values in multi-line flow collections

describe('FlowReader.lineAt maps a position in the joined lines back to its source line', () => {
  it('names the middle line for an error at its last character', () => {
    // Joined: "[w, x, y: z]"; the ":" is the last character of line 2.
    const e = errorOf('a: [w,\n  x, y:\n  z]');
    expect([e.line, e.problem]).toEqual([2, '"key: value" pairs inside "[ ]" are not supported']);
  });

  it('names the first line for an error at its last character', () => {
    const e = errorOf('a: [w, y:\n  z]');
    expect([e.line, e.problem]).toEqual([1, '"key: value" pairs inside "[ ]" are not supported']);
  });

  it('tells the line of each item of a flow sequence over three lines', () => {
    const doc = parseYaml('n: [p,\n  q, r,\n  s]');
    expect([0, 1, 2, 3].map((i) => doc.lineOf(['n', i]))).toEqual([1, 2, 2, 3]);
  });

  it('tells a flow-mapping key by the line of the key, also when its value is on the next line or absent', () => {
    const doc = parseYaml('x: 0\nm: {a:\n  b, c,\n  d: [u,\n  v]}');
    expect(read('x: 0\nm: {a:\n  b, c,\n  d: [u,\n  v]}')).toEqual({ x: 0, m: { a: 'b', c: null, d: ['u', 'v'] } });
    expect(doc.lineOf(['m'])).toBe(2);
    expect(doc.lineOf(['m', 'a'])).toBe(2); // the key's line, not its value's (3)
    expect(doc.lineOf(['m', 'c'])).toBe(3); // a key with no value
    expect(doc.lineOf(['m', 'd'])).toBe(4);
    expect(doc.lineOf(['m', 'd', 0])).toBe(4);
    expect(doc.lineOf(['m', 'd', 1])).toBe(5);
  });
});

// ---------------------------------------------------------------- the writer: keys and numbers PyYAML reads back

/** Strings near YAML's indicators and YAML 1.1's implicit types, written as keys and as values. */
const TRICKY = ['._1', '._', '.', '/', '_', '.e', '.E1', 'n/a', 'No.1', 'on/off', '1.', '.5.', 'Y.', 'y_', 'Null.', '.Inf', '.inF', '.NaN', 'oN', 'nO', 'tRUE', '<<', '=', '0o17', '0b2', '0x', '1_', '+1', '-', '-.', '1:30', '1e5', 'a (b)', 'x -', 'x - y', 'a  b', 'k:v', 'a,b', 'a]b', '? x', '-x'];
const NUMBERS = [5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** 53, 2 ** 53 + 2, 1e21 - 65536, 1e-6, 1e-7, 123e-20, 0.1 + 0.2, -1.5e-300, 4.35];

describe.skipIf(!pyyaml)('stringifyYaml writes what PyYAML and parseYaml read back as the same value', () => {
  it('strings as mapping keys (block and in a sequence item) and as values', () => {
    const docs: YamlValue[] = TRICKY.map((s) => ({ [s]: s, list: [s, { [s]: [s] }] }));
    const texts = docs.map(stringifyYaml);
    const want = JSON.parse(JSON.stringify(docs));
    expect(texts.map((t) => read(t))).toEqual(want);
    expect(pyLoad(texts)).toEqual(want);
  });

  it('numbers from the smallest to the largest double', () => {
    const texts = NUMBERS.map((v) => stringifyYaml({ v, l: [v] }));
    const want = NUMBERS.map((v) => ({ v, l: [v] }));
    expect(texts.map((t) => read(t))).toEqual(want);
    expect(pyLoad(texts)).toEqual(want);
  });
});

// ---------------------------------------------------------------- found while writing these cases

describe('where this reader once differed from PyYAML', () => {
  // A plain key in a flow mapping ends at ":" only before a space, ",", "[", "]", "{", "}" or the end, as PyYAML
  // ends it. It used to end at any ":", so `{0:person}` read here as {"0": "person"} while Ultralytics (PyYAML)
  // reads {"0:person": null}, and `{http://x: 1}` was refused though PyYAML reads it.
  it('a plain flow-mapping key ends at ":" only where PyYAML ends it', () => {
    expect(read('names: {0:person, 1:car}')).toEqual({ names: { '0:person': null, '1:car': null } });
    expect(read('m: {a:b: c}')).toEqual({ m: { 'a:b': 'c' } });
    expect(read('m: {http://x: 1}')).toEqual({ m: { 'http://x': 1 } });
    expect(read('m: {a :b}')).toEqual({ m: { 'a :b': null } });
    expect(read('m: {a:[x]}')).toEqual({ m: { a: ['x'] } });
  });

  // PyYAML 6's scanner refuses a tab between tokens ("found character '\t' that cannot start any token"); the YAML
  // specification counts it as separation space, and so does this reader, by choice (yaml.ts's header).
  it('a tab between flow values is separation space', () => {
    expect(['a: [1,\t2]', 'a: [1, 2,\t]', 'a: [\t"x"]', 'a: {a: b,\tc: d}', 'a: [x\t, y]'].map(read)).toEqual([
      { a: [1, 2] }, { a: [1, 2] }, { a: ['x'] }, { a: { a: 'b', c: 'd' } }, { a: ['x', 'y'] },
    ]);
  });

  // "0x_" and "0b_" match PyYAML's int patterns, and PyYAML then fails (int('', 16)): the document does not load.
  // They used to read as NaN here.
  it('"0x_" and "0b_" are refused with their line', () => {
    const problem = (t: string) => `"${t}" is a number without digits to PyYAML, which cannot read it; quote it or write the digits`;
    expect([errorOf('a: 0x_'), errorOf('a: 1\nb: [-0b__]'), errorOf('0x_: 1')].map((e) => [e.line, e.problem])).toEqual([
      [1, problem('0x_')], [2, problem('-0b__')], [1, problem('0x_')],
    ]);
    expect(read('a: [0x, 0b, 0x_1, 0b1_]')).toEqual({ a: ['0x', '0b', 1, 1] });
  });
});

// ---------------------------------------------------------------- PyYAML agrees

describe.skipIf(!pyyaml)('PyYAML reads the same texts', () => {
  it('gives the same values for the flow mappings read above', () => {
    expect(pyLoad(FLOW_READS.map(([t]) => t))).toEqual(FLOW_READS.map(([, want]) => want));
  });

  it('fails on the texts refused above that are not YAML', () => {
    const texts = ['m: {a: "x" b}', 'm: {a: 1,\n  b: "x" y}', "m: {a'b: [x, c'd],", "m: {a'b: [x, c'd]", 'a: ["x" y]', "a: [a'b, [x, c'd],", "a: [a'b, [x, c'd]", 'a: 1\nb: "x" y z', 'm: {[a]: b}'];
    for (const [i, r] of pyLoad(texts).entries()) expect([texts[i], r]).toEqual([texts[i], { error: expect.any(String) }]);
  });

  it('reads the cases that once differed as the tests above expect', () => {
    expect(pyLoad(['names: {0:person, 1:car}', 'm: {a:b: c}', 'm: {http://x: 1}', 'm: {a :b}', 'm: {a:[x]}'])).toEqual([
      { names: { '0:person': null, '1:car': null } }, { m: { 'a:b': 'c' } }, { m: { 'http://x': 1 } }, { m: { 'a :b': null } }, { m: { a: ['x'] } },
    ]);
    expect(pyLoad(['a: [1,\t2]', 'a: [1, 2,\t]', 'a: [\t"x"]', 'a: {a: b,\tc: d}', 'a: 0x_', 'a: 0b_'])).toEqual(Array(6).fill({ error: expect.any(String) }));
  });
});
