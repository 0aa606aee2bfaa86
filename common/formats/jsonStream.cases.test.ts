/**
 * JsonSplitter cases, one behaviour each (issue 13): the exact refusal a reader shows (file, line, problem),
 * the optional callbacks, the byte-order mark, keys, and values that are not arrays.
 */
import { describe, expect, it } from 'vitest';
import { JsonSplitter } from './jsonStream.js';
import { FormatError } from './types.js';

type Event = [string, ...unknown[]];

/** Feed `chunks` and record every callback. */
function split(chunks: string[]): Event[] {
  const events: Event[] = [];
  const s = new JsonSplitter({
    file: 'ann.json',
    onElement: (key, index, text, line) => events.push(['element', key, index, text, line]),
    onValue: (key, text, line) => events.push(['value', key, text, line]),
    onArrayEnd: (key, count, line) => events.push(['end', key, count, line]),
  });
  for (const c of chunks) s.push(c);
  s.end();
  return events;
}

/** [where, problem] of the refusal, the same whether the text comes whole or one character per chunk. */
function refused(text: string): [string | null, string] {
  const one = (chunks: string[]): [string | null, string] => {
    try {
      split(chunks);
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      const fe = e as FormatError;
      expect(fe.file).toBe('ann.json');
      return [fe.where, fe.problem];
    }
    throw new Error(`expected a FormatError for ${JSON.stringify(text)}`);
  };
  const whole = one([text]);
  expect(one([...text])).toEqual(whole);
  return whole;
}

describe('JsonSplitter: the exact refusal', () => {
  const cases: [string, string, string][] = [
    ['', 'line 1', 'the file is empty: expected a JSON object or array'],
    ['\n\n', 'line 3', 'the file is empty: expected a JSON object or array'],
    ['\n"s"', 'line 2', 'the top level must be a JSON object or array, found """'],
    ['\n\n\n\n\n\n\n\n\n\nx', 'line 11', 'the top level must be a JSON object or array, found "x"'],
    ['{\n]', 'line 2', 'expected a key in quotes, found "]"'],
    ['{\n', 'line 2', 'the file ends before the top-level object is closed: truncated?'],
    ['{"a": 1,\n}', 'line 2', 'a comma before "}"'],
    ['{"a": 1,\n\n5}', 'line 3', 'expected a key in quotes, found "5"'],
    ['{"a"\n\n}', 'line 3', 'expected ":" after the key "a", found "}"'],
    ['{"a"\n', 'line 2', 'the file ends before the top-level object is closed: truncated?'],
    ['{"a":\n\n x}', 'line 3', 'expected a JSON value for "a", found "x"'],
    ['{"a":\n', 'line 2', 'the file ends before the top-level object is closed: truncated?'],
    ['{"a": 1\n"b": 2}', 'line 2', 'expected "," or "}" after the value of "a", found """'],
    ['{"a": 1 :', 'line 1', 'expected "," or "}" after the value of "a", found ":"'],
    ['{"a": tru}', 'line 1', '"tru" is not a JSON value'],
    ['{"a": nan,', 'line 1', '"nan" is not a JSON value'],
    ['{"a": {"b": [1}}', 'line 1', '"}" does not match "[" in the value of "a"'],
    ['{"a": [1\n,\n2,\n]}', 'line 4', 'a comma before "]" in "a"'],
    ['[1,]', 'line 1', 'a comma before "]" in the top-level array'],
    ['[1,\n x]', 'line 2', 'expected a JSON value in the top-level array, found "x"'],
    ['{"k": [1,\n x]}', 'line 2', 'expected a JSON value in "k", found "x"'],
    ['{"k": [:', 'line 1', 'expected a JSON value in "k", found ":"'],
    ['[+1]', 'line 1', 'expected a JSON value in the top-level array, found "+"'],
    ['{"a": .5}', 'line 1', 'expected a JSON value for "a", found "."'],
    ['[1\n2]', 'line 2', 'expected "," or "]" after element 0 in the top-level array, found "2"'],
    ['{"k": [1, 2 {', 'line 1', 'expected "," or "]" after element 1 in "k", found "{"'],
    ['[1,\n\n', 'line 3', 'the file ends before the top-level array is closed: truncated?'],
    ['[[1, 2}]', 'line 1', '"}" does not match "[" in element 0 in the top-level array'],
    ['{"k": [0, {"a": [}]}', 'line 1', '"}" does not match "[" in element 1 in "k"'],
    ['{"k": [0, {"a": 1]]}', 'line 1', '"]" does not match "{" in element 1 in "k"'],
    ['[-]', 'line 1', '"-" is not a JSON value'],
    ['[' + '1'.repeat(30) + 'x'.repeat(30) + ']', 'line 1', `"${'1'.repeat(30)}${'x'.repeat(10)}" is not a JSON value`],
    ['[1]\n\n x', 'line 3', 'unexpected "x" after the end of the top-level array'],
    ['{}\n{', 'line 2', 'unexpected "{" after the end of the top-level object'],
    ['{"k": [1, "ab', 'line 1', 'the file ends inside element 1 in "k" (started on line 1): truncated?'],
    ['[\n\n[1,\n', 'line 4', 'the file ends inside element 0 in the top-level array (started on line 3): truncated?'],
    ['{"v":\n {"x": 1,\n', 'line 3', 'the file ends inside the value of "v" (started on line 2): truncated?'],
    ['{"v": 12', 'line 1', 'the file ends inside the value of "v" (started on line 1): truncated?'],
    ['{\n"ke', 'line 2', 'the file ends inside a key (started on line 2): truncated?'],
    ['{"a\\x": 1}', 'line 1', 'the key "a\\x" is not a valid JSON string'],
    [`{"${'k'.repeat(100)}\\x": 1}`, 'line 1', `the key "${'k'.repeat(79)} is not a valid JSON string`],
    ['\uFEFF\uFEFF{}', 'line 1', 'the top level must be a JSON object or array, found "\uFEFF"'],
    [' \uFEFF{}', 'line 1', 'the top level must be a JSON object or array, found "\uFEFF"'],
  ];
  for (const [text, where, problem] of cases) {
    it(JSON.stringify(text), () => {
      expect(refused(text)).toEqual([where, problem]);
    });
  }
});

describe('JsonSplitter: what comes out, exactly', () => {
  it('values that are not arrays: strings, numbers, literals, objects, each with its line', () => {
    expect(split(['{"s": "a]}\\"",\n"n": -0.5e+2, "t": true, "f": false,\n"z": null, "o": {"x": [1, {"y": "}"}]}}'])).toEqual([
      ['value', 's', '"a]}\\""', 1],
      ['value', 'n', '-0.5e+2', 2],
      ['value', 't', 'true', 2],
      ['value', 'f', 'false', 2],
      ['value', 'z', 'null', 3],
      ['value', 'o', '{"x": [1, {"y": "}"}]}', 3],
    ]);
  });

  it('elements of every kind, and the line each array ends on', () => {
    expect(split(['{"a": [\n"x", 0, [], {}, true, null\n\n], "b": [ ]}'])).toEqual([
      ['element', 'a', 0, '"x"', 2],
      ['element', 'a', 1, '0', 2],
      ['element', 'a', 2, '[]', 2],
      ['element', 'a', 3, '{}', 2],
      ['element', 'a', 4, 'true', 2],
      ['element', 'a', 5, 'null', 2],
      ['end', 'a', 6, 4],
      ['end', 'b', 0, 4],
    ]);
  });

  it('the index counts from 0 in each array', () => {
    const got = split(['{"a": [5, 6], "b": [7]}']).filter((e) => e[0] === 'element');
    expect(got.map((e) => [e[1], e[2], e[3]])).toEqual([['a', 0, '5'], ['a', 1, '6'], ['b', 0, '7']]);
  });

  it('an empty object and empty arrays with space inside', () => {
    expect(split(['{ \n }'])).toEqual([]);
    expect(split(['[ \t\r\n ]'])).toEqual([['end', null, 0, 2]]);
  });

  it('a primitive element or value cut by a chunk ends at the next delimiter', () => {
    expect(split(['[12', '34, tr', 'ue]'])).toEqual([['element', null, 0, '1234', 1], ['element', null, 1, 'true', 1], ['end', null, 2, 1]]);
    expect(split(['{"a": 1', '2\n}'])).toEqual([['value', 'a', '12', 1]]);
    expect(split(['{"a": 1', '2}'])).toEqual([['value', 'a', '12', 1]]);
  });

  it('a key cut by a chunk is read whole', () => {
    expect(split(['{"ab', 'c', 'd": 1}'])).toEqual([['value', 'abcd', '1', 1]]);
    expect(split(['{"a\\', '"b": 1}'])).toEqual([['value', 'a"b', '1', 1]]);
  });

  it('lines are counted across chunks, and a line break as a chunk of its own', () => {
    expect(split(['[1,', '\n', '2,\n', '\n3', ']'])).toEqual([
      ['element', null, 0, '1', 1],
      ['element', null, 1, '2', 2],
      ['element', null, 2, '3', 4],
      ['end', null, 3, 4],
    ]);
  });

  it('a byte-order mark is allowed before the document only, after empty chunks too', () => {
    expect(split(['', '\uFEFF[1]'])).toEqual([['element', null, 0, '1', 1], ['end', null, 1, 1]]);
    expect(split(['\uFEFF', '[1]'])).toEqual([['element', null, 0, '1', 1], ['end', null, 1, 1]]);
  });

  it('onValue and onArrayEnd may be left out', () => {
    const elements: string[] = [];
    const s = new JsonSplitter({ file: 'f', onElement: (_k, _i, t) => elements.push(t) });
    s.push('{"info": {"a": 1}, "n": 2, "a": [3, 4], "b": []}');
    s.end();
    expect(elements).toEqual(['3', '4']);
    const t = new JsonSplitter({ file: 'f', onElement: (_k, _i, x) => elements.push(x) });
    t.push('[5]');
    t.end();
    expect(elements).toEqual(['3', '4', '5']);
  });

  it('end() twice is the same as once; a push after it is refused as a programming error', () => {
    const s = new JsonSplitter({ file: 'f', onElement: () => {} });
    s.push('[');
    expect(() => s.end()).toThrow(FormatError);
    expect(() => s.end()).not.toThrow();
    expect(() => s.push(']')).toThrow('JsonSplitter: push after end');
  });
});
