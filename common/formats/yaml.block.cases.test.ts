import { describe, expect, it } from 'vitest';
import { readYaml as read, yamlErrorOf as errorOf } from './test-helpers.js';
import { parseYaml } from './yaml.js';

// The block reader (splitLines, stripComment, BlockReader, findKeyColon, flowClosed), case by case.
// Values are PyYAML 6.0 safe_load's; where this reader refuses by design, the exact message and line are ours.

/** [line, problem] of the error the text gives, to compare whole. */
const refusal = (s: string) => {
  const e = errorOf(s);
  return [e.line, e.problem];
};

describe('document markers, directives and trailing spaces (splitLines)', () => {
  it('ends the document at "..." with trailing spaces after it', () => {
    expect(read('a: 1\n...  ')).toEqual({ a: 1 });
    expect(read('a: 1\n...   \n')).toEqual({ a: 1 });
  });

  it('reads "---" and "..." that are indented as plain values, not as document markers', () => {
    // Markers count only at column 0; PyYAML: {'a': '---'} and {'a': '...'}.
    expect(read('a:\n  ---')).toEqual({ a: '---' });
    expect(read('a:\n  ...\nb: 1')).toEqual({ a: '...', b: 1 });
  });

  it('refuses content on the "---" line (PyYAML would read it; not supported here)', () => {
    expect(refusal('--- x')).toEqual([1, 'content on the "---" line is not supported; start it on the next line']);
    expect(refusal('# c\n--- a: 1')).toEqual([2, 'content on the "---" line is not supported; start it on the next line']);
  });

  it('takes "%" as a directive only at column 0; indented, it is a plain scalar that cannot start with "%"', () => {
    expect(refusal('a:\n  %x')).toEqual([2, '"%" cannot start a plain scalar; quote the value']);
  });
});

describe('comments and quotes on a line (stripComment)', () => {
  it('ends a single-quoted string at its quote even after a backslash (no escapes in single quotes)', () => {
    expect(read("path: 'C:\\data\\' # windows dir")).toEqual({ path: 'C:\\data\\' });
  });

  it("ends a double-quoted string at its quote even when a ' follows ('' is an escape in single quotes only)", () => {
    // PyYAML refuses this too (it opens a single-quoted string at the ').
    expect(refusal(`a: "x"' # c`)).toEqual([1, `unexpected "'" after the value`]);
  });

  it('starts a comment at "#" after a tab, as after a space', () => {
    // YAML 1.2 (s-b-comment: separation is spaces or tabs). PyYAML 6.0 refuses a tab there, so no file it reads has one.
    expect(read('a: b\t# c')).toEqual({ a: 'b' });
    expect(read('a: [1, 2]\t# c')).toEqual({ a: [1, 2] });
  });

  it('names the kind of quote left open, with the line', () => {
    expect(refusal("a: 1\nb: 'x")).toEqual([2, 'a single-quoted string is not closed on its line (strings over several lines are not supported)']);
    expect(refusal('a: "x')).toEqual([1, 'a double-quoted string is not closed on its line (strings over several lines are not supported)']);
    expect(refusal('- "x\\"')).toEqual([1, 'a double-quoted string is not closed on its line (strings over several lines are not supported)']);
  });
});

describe('where the reader tells the line of a value (paths)', () => {
  it('keeps paths apart that would join to the same text', () => {
    const doc = parseYaml('ab: 1\na:\n  b: 2\nn1: x\nn:\n- y\n- z');
    expect(doc.lineOf(['ab'])).toBe(1);
    expect(doc.lineOf(['a', 'b'])).toBe(3);
    expect(doc.lineOf(['n1'])).toBe(4);
    expect(doc.lineOf(['n', 1])).toBe(7);
  });
});

describe('the block structure (BlockReader)', () => {
  it('refuses a top level that ends before the last line', () => {
    expect(refusal('  a: 1\nb: 2')).toEqual([2, "unexpected indentation (0 spaces) after the document's top level"]);
  });

  it('refuses a plain scalar continued on the next line, naming that line', () => {
    // PyYAML folds these into one string ("one two"); plain scalars over several lines are refused by design.
    expect(refusal('one\n  two')).toEqual([2, 'a plain scalar over several lines is not supported; put it on one line or quote it']);
    // At the top level a line at the same indent continues it too (PyYAML: "one two", "a - b").
    expect(refusal('one\ntwo')).toEqual([2, 'a plain scalar over several lines is not supported; put it on one line or quote it']);
    expect(refusal('a\n- b')).toEqual([2, 'a plain scalar over several lines is not supported; put it on one line or quote it']);
    expect(refusal("men's\nshoes")).toEqual([2, 'a plain scalar over several lines is not supported; put it on one line or quote it']);
    // Under a key, the value's own line indented further (PyYAML: {k: "a b"}).
    expect(refusal('k:\n  a\n    b')).toEqual([3, 'a plain scalar over several lines is not supported; put it on one line or quote it']);
    // A quoted scalar or a flow collection does not go on: what follows is a second top-level value.
    expect(refusal('"one"\ntwo')).toEqual([2, "unexpected indentation (0 spaces) after the document's top level"]);
    expect(refusal("'one'\ntwo")).toEqual([2, "unexpected indentation (0 spaces) after the document's top level"]);
    expect(refusal('[a]\nb')).toEqual([2, "unexpected indentation (0 spaces) after the document's top level"]);
    expect(refusal('{a: 1}\nb')).toEqual([2, "unexpected indentation (0 spaces) after the document's top level"]);
    expect(refusal('k:\n  a\n  b')).toEqual([3, 'unexpected indentation inside a mapping (a plain value over several lines is not supported; put it on one line)']);
  });

  it('refuses a line in a sequence that is neither an item nor a key of the mapping around it', () => {
    expect(refusal('- a\nb')).toEqual([2, 'expected "- " (the next item of the sequence)']);
    expect(refusal('k:\n- a\nb\n')).toEqual([3, 'expected "- " (the next item of the sequence)']);
  });

  it('reads an item after "-" and several spaces at the column where it starts', () => {
    expect(read('-  a: 1\n   b: 2')).toEqual([{ a: 1, b: 2 }]);
    expect(read('-   x\n- y')).toEqual(['x', 'y']);
  });

  it('reads a bare "-" followed by an item at the same indentation, or by nothing, as null', () => {
    expect(read('-\n- b')).toEqual([null, 'b']);
    expect(read('- a\n-')).toEqual(['a', null]);
    expect(read('k:\n-\n- b\n')).toEqual({ k: [null, 'b'] });
  });

  it('reads "key :" with spaces before the colon', () => {
    expect(read('a  : 1\nb : [x]')).toEqual({ a: 1, b: ['x'] });
  });

  it('reads an empty value followed by the next item of a less indented sequence as null', () => {
    expect(read('k:\n- a:\n- b')).toEqual({ k: [{ a: null }, 'b'] });
  });

  it('refuses complex keys ("? ") on a key line', () => {
    // "? a: b" is a key that is itself a mapping (PyYAML: unhashable key); "? : b" PyYAML refuses too.
    expect(refusal('? a: b')).toEqual([1, 'complex keys ("? ") are not supported']);
    expect(refusal('x: 1\n? : b')).toEqual([2, 'complex keys ("? ") are not supported']);
  });

  it('reads a quote that only ends or sits inside a plain key as part of the key', () => {
    expect(read('a": 1')).toEqual({ 'a"': 1 });
    expect(read("a': 1\nit's: 2")).toEqual({ "a'": 1, "it's": 2 });
  });

  it('names the line of a bad escape in a quoted key', () => {
    expect(refusal('a: 1\nb: 2\n"\\q": 3')).toEqual([3, 'unknown escape "\\q" in a double-quoted string']);
  });

  it('reads "|" and ">" inside or at the end of a plain value as text, not as a block scalar', () => {
    expect(read('a: x>2\nb: x|\nc: a|1')).toEqual({ a: 'x>2', b: 'x|', c: 'a|1' });
  });

  it('refuses "@" and "`" at the start of a plain key or value (reserved indicators)', () => {
    expect(refusal('@a: 1')).toEqual([1, '"@" cannot start a plain scalar; quote the value']);
    expect(refusal('x: 1\n`a: 1')).toEqual([2, '"`" cannot start a plain scalar; quote the value']);
    expect(refusal('a: @x')).toEqual([1, '"@" cannot start a plain scalar; quote the value']);
  });
});

describe('quoting the line back in a message (clip)', () => {
  it('quotes a line of up to 40 characters whole and cuts a longer one at 40 with "…"', () => {
    const forty = 'abcdefghij'.repeat(4);
    expect(refusal('a: 1\nb')).toEqual([2, 'expected "key: value", got "b"']);
    expect(refusal(`a: 1\n${forty}`)).toEqual([2, `expected "key: value", got "${forty}"`]);
    expect(refusal(`a: 1\n${forty}Z`)).toEqual([2, `expected "key: value", got "${forty}…"`]);
    expect(refusal(`a: 1\n${forty}XYZ more`)).toEqual([2, `expected "key: value", got "${forty}…"`]);
  });
});

describe('which ":" ends a key (findKeyColon)', () => {
  it('reads a backslash at the end of a single-quoted key as text', () => {
    expect(read("'a\\': 1")).toEqual({ 'a\\': 1 });
  });

  it("reads '' in a single-quoted key as one quote", () => {
    expect(read("'it''s': 1\n'''': 2")).toEqual({ "it's": 1, "'": 2 });
  });

  it("ends a double-quoted key at its quote even when a ' follows", () => {
    // Not a key: the quoted scalar ends before the "'"; PyYAML refuses it too.
    expect(refusal(`"a"'b": 1`)).toEqual([1, `unexpected "'b": 1" after the value`]);
  });

  it('reads spaces between a quoted key and its colon', () => {
    expect(read('"a" : 1\n\'b\'   : 2')).toEqual({ a: 1, b: 2 });
  });

  it('needs a ":" right after a quoted key (then a space or the end of the line) to make it a key', () => {
    // PyYAML refuses both too.
    expect(refusal('"a" x')).toEqual([1, 'unexpected "x" after the value']);
    expect(refusal('- "a" b c')).toEqual([1, 'unexpected "b c" after the value']);
    expect(refusal('"a":b')).toEqual([1, 'unexpected ":b" after the value']);
  });

  it('takes the first ":" followed by a space (or the end) as the key\'s, not any ":"', () => {
    expect(read('a:b: c\nx:y:z: w')).toEqual({ 'a:b': 'c', 'x:y:z': 'w' });
    expect(read('- https://example.com/a.zip\n- c:')).toEqual(['https://example.com/a.zip', { c: null }]);
  });
});

describe('where a flow collection ends (flowClosed)', () => {
  it('reads a backslash at the end of a single-quoted item as text', () => {
    expect(read("a: ['x\\', y]")).toEqual({ a: ['x\\', 'y'] });
  });

  it('does not count brackets inside single-quoted items', () => {
    expect(read("a: ['[x', y]\nb: 1")).toEqual({ a: ['[x', 'y'], b: 1 });
    expect(read("a: ['x]',\n  y]\nb: 1")).toEqual({ a: ['x]', 'y'], b: 1 });
  });
});

describe('where this reader once differed from PyYAML', () => {
  // The bracket count that decides where a flow collection ends used to take every " and ' as opening a quote, also
  // inside a plain scalar ("it's"), so the brackets never closed. A quote now opens only where a scalar can start
  // (after a space, "[", "{", ","), and '' inside single quotes is a quote, as in stripComment.
  it("reads an apostrophe inside a plain item of a flow collection (PyYAML: [\"it's\", 'cat'])", () => {
    expect(read("names: [it's, cat]\nnc: 2")).toEqual({ names: ["it's", 'cat'], nc: 2 });
    expect(read("names: {0: it's}")).toEqual({ names: { '0': "it's" } });
    expect(read("a: [it's]\nb: [x']")).toEqual({ a: ["it's"], b: ["x'"] });
    expect(read('a: [a"b]')).toEqual({ a: ['a"b'] });
    expect(read("a: ['it''s ]',\n  b]")).toEqual({ a: ["it's ]", 'b'] });
  });

  // PyYAML refuses an empty plain key ("expected <block end>, but found ':'"); a quoted empty key is a key.
  it('refuses a block mapping key that is missing (": b")', () => {
    expect([errorOf(': b'), errorOf('a: 1\n: b'), errorOf('k:\n- a\n: b')].map((e) => [e.line, e.problem])).toEqual([
      [1, 'a key is missing before ":"'], [2, 'a key is missing before ":"'], [3, 'a key is missing before ":"'],
    ]);
    expect(read('"": b')).toEqual({ '': 'b' });
  });

  // "?: b" is the plain key "?" to PyYAML ({'?': 'b'}); "? : b" starts a complex key.
  it('reads "?: b" as the key "?"', () => {
    expect(read('?: b')).toEqual({ '?': 'b' });
    expect(errorOf('? : b').problem).toBe('complex keys ("? ") are not supported');
    expect(errorOf('?\t: b').problem).toBe('complex keys ("? ") are not supported');
  });

  // String.prototype.trim also strips Unicode spaces (U+00A0, U+3000, U+FEFF…), which YAML keeps as content:
  // PyYAML gives {'a': 'x\xa0'}, {'a\xa0': 1} and ['x\xa0']. Only spaces and tabs are trimmed now.
  it('keeps a no-break space at the end of a plain key or value', () => {
    expect(read('a: x\u00a0')).toEqual({ a: 'x\u00a0' });
    expect(read('a: \u00a0')).toEqual({ a: '\u00a0' });
    expect(read('a\u00a0: 1')).toEqual({ 'a\u00a0': 1 });
    expect(read('- x\u00a0')).toEqual(['x\u00a0']);
    expect(read('a: [x\u00a0, y]')).toEqual({ a: ['x\u00a0', 'y'] });
  });
});
