import { describe, expect, it } from 'vitest';
import { hasPyYaml as pyyaml, pyYamlLoad as pyLoad, readYaml as read, yamlErrorOf as errorOf } from './test-helpers.js';

// FlowReader.quoted, plain and plainText: quoted scalars in flow collections, where a plain scalar ends, and the
// characters that cannot start one. Expected values are PyYAML 6.0's safe_load (checked below where python3 has it).

// What both readers give; each text is also sent to PyYAML below.
const READS: [string, unknown][] = [
  // A ":" inside a flow value, not followed by a space or an indicator, is part of the scalar.
  ['a: [a:b]', { a: ['a:b'] }],
  ['a: [a:b:c, http://x/y]', { a: ['a:b:c', 'http://x/y'] }],
  ['a: {k: a:b, u: http://x}', { a: { k: 'a:b', u: 'http://x' } }],
  // Spaces before "," "]" "}" and ":" are not part of the scalar.
  ['a: [a , b , c ]', { a: ['a', 'b', 'c'] }],
  ['a: {a : 1, b  : 2 }', { a: { a: 1, b: 2 } }],
  ['a: [1 , yes , ~ ]', { a: [1, true, null] }],
  // "?" not followed by a space is an ordinary character in block context.
  ['a: ?x', { a: '?x' }],
  // In block context "?" inside a value and ":" starting one are ordinary characters; quoted, they are anywhere.
  ['a: a?b', { a: 'a?b' }],
  ['a: :b', { a: ':b' }],
  ['a: ["b?c", \'d?\', ":e"]', { a: ['b?c', 'd?', ':e'] }],
  // \U up to the last Unicode character.
  ['a: "\\U0010FFFF"', { a: '\u{10FFFF}' }],
  ['a: ["\\U0010ffff", \'x\']', { a: ['\u{10FFFF}', 'x'] }],
];

const Q = '"?" inside a value in "[ ]" or "{ }" ends the value to PyYAML, which refuses the rest; quote the value';
const C = '":" cannot start a value inside "[ ]" or "{ }"; quote the value';

// What both readers refuse: ours with this line and message (PyYAML's own words differ).
const REFUSES: [string, number, string][] = [
  ['a: "\\U00110000"', 1, '"\\U00110000" is past the last Unicode character'],
  ['a: ["x",\n  "\\UFFFFFFFF"]', 2, '"\\UFFFFFFFF" is past the last Unicode character'],
  ['a: [@x]', 1, '"@" cannot start a plain scalar; quote the value'],
  ['a: [b,\n  `x]', 2, '"`" cannot start a plain scalar; quote the value'],
  ['a: {k: @x}', 1, '"@" cannot start a plain scalar; quote the value'],
  ['a: |x', 1, 'block scalars ("|", ">") are not supported; write the text on one line, quoted'],
  ['a: >x', 1, 'block scalars ("|", ">") are not supported; write the text on one line, quoted'],
  ['- |x', 1, 'block scalars ("|", ">") are not supported; write the text on one line, quoted'],
  ['a: [|]', 1, 'block scalars ("|", ">") are not supported; write the text on one line, quoted'],
  ['a: [b,\n  >a]', 2, 'block scalars ("|", ">") are not supported; write the text on one line, quoted'],
  ['a: %x', 1, '"%" cannot start a plain scalar; quote the value'],
  ['a: [b,\n  %x]', 2, '"%" cannot start a plain scalar; quote the value'],
  ['a: ?', 1, 'complex keys ("? ") are not supported'],
  ['x: 1\na: ? b', 2, 'complex keys ("? ") are not supported'],
  // In block context a value may not hold ": " nor end with ":" (PyYAML: "mapping values are not allowed here").
  ['a: b:', 1, '": " inside a plain value; quote the value'],
  ['a: : x', 1, '": " inside a plain value; quote the value'],
  ['a: :', 1, '": " inside a plain value; quote the value'],
  // In flow context "[" and "{" end a plain scalar (PyYAML: "expected ',' or ']', but got '['").
  ['a: [a[b]]', 1, 'expected "," or "]" in a flow sequence, got "["'],
  ['a: [a{b}]', 1, 'expected "," or "]" in a flow sequence, got "{"'],
  ['a: {k: a[b]}', 1, 'expected "," or "}" in a flow mapping, got "["'],
  ['a: {k: v{}}', 1, 'expected "," or "}" in a flow mapping, got "{"'],
  // In flow context a "?" ends a plain scalar, and PyYAML refuses what follows; ":" cannot start one.
  ['a: [a?b]', 1, Q],
  ['a: [a ?b]', 1, Q],
  ['a: [http://x/?q=1]', 1, Q],
  ['a: {k: b?c}', 1, Q],
  ['a: {a?b: 1}', 1, Q],
  ['a: [x,\n  b?]', 2, Q],
  ['a: [:b]', 1, C],
  ['a: [x, :b]', 1, C],
  ['a: {k: :b}', 1, C],
];

describe('flow scalars: what they read', () => {
  for (const [text, want] of READS) {
    it(`reads ${JSON.stringify(text)}`, () => expect(read(text)).toEqual(want));
  }
});

describe('flow scalars: what they refuse, with the line', () => {
  for (const [text, line, problem] of REFUSES) {
    it(`refuses ${JSON.stringify(text)} (line ${line})`, () => {
      const e = errorOf(text);
      expect([e.line, e.problem]).toEqual([line, problem]);
    });
  }

  it('refuses an anchor that does not start the flow text', () => {
    // The check looks at the scalar's own first character, not at the "[" that starts the line's value.
    expect([errorOf('a: [ &x 1]').line, errorOf('a: [ &x 1]').problem]).toEqual([1, 'anchors and aliases ("&name", "*name") are not supported']);
    expect(errorOf('a: [b, *x]').problem).toBe('anchors and aliases ("&name", "*name") are not supported');
    expect(errorOf('a: {k: !t x}').problem).toBe('tags ("!…") are not supported');
  });
});

describe('a quote after a ":" with no space in a flow mapping is part of a plain key', () => {
  // "b:'x" is one plain key to PyYAML (a ":" ends a flow key only before a space or an indicator), so the quote opens
  // nothing; what follows the mapping is then refused. PyYAML refuses every text here too (checked below).
  it('refuses what follows the mapping, naming it', () => {
    const single = errorOf("a: {a: x'y, b:'x} @");
    expect([single.line, single.problem]).toEqual([1, 'unexpected "@" after the value']);
    const double = errorOf('a: {a: x"y, b:"x} @');
    expect([double.line, double.problem]).toEqual([1, 'unexpected "@" after the value']);
    const backslash = errorOf('a: {a: x"y, b:"}\\');
    expect([backslash.line, backslash.problem]).toEqual([1, 'unexpected "\\" after the value']);
    const colon = errorOf("a: {a: x'y, b:'}', c: d:");
    expect([colon.line, colon.problem]).toEqual([1, 'unexpected "\', c: d:" after the value']);
  });

  it('reads the key with its quote', () => {
    expect(read("a: {b:'x}")).toEqual({ a: { "b:'x": null } });
    expect(read('a: {b:"x", c: 1}')).toEqual({ a: { 'b:"x"': null, c: 1 } });
  });
});

/** What pyYamlLoad gives for a text PyYAML refuses. */
const REFUSED = { error: expect.any(String) };

describe.skipIf(!pyyaml)('PyYAML agrees', () => {
  it('reads the same values and refuses the same texts', () => {
    const texts = [...READS.map(([t]) => t), ...REFUSES.map(([t]) => t), 'a: {a: x\'y, b:\'x} @', 'a: {a: x"y, b:"x} @', 'a: {a: x"y, b:"}\\', "a: {a: x'y, b:'}', c: d:"];
    const want = [...READS.map(([, v]) => v), ...texts.slice(READS.length).map(() => REFUSED)];
    expect(pyLoad(texts).map((v, i) => [texts[i], v])).toEqual(want.map((v, i) => [texts[i], v]));
  });

  it('reads the cases below as they expect', () => {
    expect(pyLoad(['a: {0:person}', 'a: {b:x, c: d}'])).toEqual([{ a: { '0:person': null } }, { a: { 'b:x': null, c: 'd' } }]);
    expect(pyLoad(['a: [?x]', 'a: [?]'])).toEqual([{ a: [{ x: null }] }, { a: [{ null: null }] }]);
    expect(pyLoad(['a: [a,,b]', 'a: [,]', 'a: {,}', 'a: {: b}', 'a: [#x]', 'a: [a,#x]', 'a: [- x]'])).toEqual(Array(7).fill(REFUSED));
  });
});

// ---------------------------------------------------------------- where this reader once differed from PyYAML

describe('flow scalars read as PyYAML reads them', () => {
  // A flow key ends at ":" only before a space, ",", "[", "]", "{", "}" or the end, as a value does (PyYAML's
  // scanner, flow context). It used to end at any ":", so Ultralytics and Sightline read different names.
  it('a flow key runs on over a ":" that no space follows ({0:person} is one key "0:person")', () => {
    expect(read('a: {0:person}')).toEqual({ a: { '0:person': null } });
    expect(read('a: {b:x, c: d}')).toEqual({ a: { 'b:x': null, c: 'd' } });
  });

  // Inside "[ ]" and "{ }" a "?" always starts a complex key to PyYAML (scanner.check_key).
  it('"[?x]" is a mapping {x: null} to PyYAML, not the string "?x": refused as a complex key', () => {
    expect(errorOf('a: [?x]').problem).toBe('complex keys ("? ") are not supported');
    expect(errorOf('a: [?]').problem).toBe('complex keys ("? ") are not supported');
  });

  // "[a, ]" and "{a: }" stay allowed (a trailing comma, a missing value): PyYAML reads them.
  it('an empty entry ("[a,,b]", "{: b}") is refused, as PyYAML refuses it', () => {
    const got = ['a: [a,,b]', 'a: [,]', 'a: {,}', 'a: {: b}', 'a: [x,\n  ,]'].map((t) => [errorOf(t).line, errorOf(t).problem]);
    expect(got).toEqual([
      [1, 'expected a value, got ","'], [1, 'expected a value, got ","'], [1, 'a key is missing before ","'],
      [1, 'a key is missing before ":"'], [2, 'expected a value, got ","'],
    ]);
    expect(read('a: [a, ]')).toEqual({ a: ['a'] });
    expect(read('a: {a: , b: }')).toEqual({ a: { a: null, b: null } });
  });

  it('"[#x]" and "[- x]" are refused, as PyYAML refuses them ("#" opens a comment there)', () => {
    const hash = '"#" starts a comment there to PyYAML, which then ignores the rest of the line; quote the value';
    const dash = '"- " cannot start a value inside "[ ]" or "{ }"';
    expect(['a: [#x]', 'a: [a,#x]', 'a: [- x]', 'a: {k: - x}'].map((t) => errorOf(t).problem)).toEqual([hash, hash, dash, dash]);
    // "-" not followed by a space is a plain scalar.
    expect(read('a: [-, -x, a-b]')).toEqual({ a: ['-', '-x', 'a-b'] });
  });
});
