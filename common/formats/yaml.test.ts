import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { hasPyYaml, pyYamlLoad, yamlErrorOf as errorOf } from './test-helpers.js';
import { parseYaml, resolvePlain, stringifyYaml, YamlError, yamlString, type YamlValue } from './yaml.js';

const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
const read = (s: string) => plain(parseYaml(s).value);

describe('parseYaml: what data.yaml files hold', () => {
  it('reads an Ultralytics pose dataset file (comments, names as {index: name}, flow lists, an empty value)', () => {
    const text = [
      '# Ultralytics YOLO, AGPL-3.0 license',
      '# COCO8-pose dataset (first 8 images from COCO train2017)',
      '',
      '# Train/val/test sets as 1) dir: path/to/imgs, 2) file: path/to/imgs.txt, or 3) list',
      'path: ../datasets/coco8-pose # dataset root dir',
      'train: images/train # train images (relative to \'path\') 4 images',
      'val: images/val # val images',
      'test: # test images (optional)',
      '',
      '# Keypoints',
      'kpt_shape: [17, 3] # number of keypoints, number of dims (2 for x,y or 3 for x,y,visible)',
      'flip_idx: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]',
      '',
      '# Classes',
      'names:',
      '  0: person',
      '',
      '# Download script/URL (optional)',
      'download: https://github.com/ultralytics/assets/releases/download/v0.0.0/coco8-pose.zip',
    ].join('\n');
    expect(read(text)).toEqual({
      path: '../datasets/coco8-pose',
      train: 'images/train',
      val: 'images/val',
      test: null,
      kpt_shape: [17, 3],
      flip_idx: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15],
      names: { '0': 'person' },
      download: 'https://github.com/ultralytics/assets/releases/download/v0.0.0/coco8-pose.zip',
    });
  });

  it('reads names as a block list, indented or at the key, and as flow collections over several lines', () => {
    expect(read('names:\n- cat\n- dog\nnc: 2\n')).toEqual({ names: ['cat', 'dog'], nc: 2 });
    expect(read('names:\n    - cat\n    - "dog"\n')).toEqual({ names: ['cat', 'dog'] });
    expect(read("names: ['a', b, \"c d\"]")).toEqual({ names: ['a', 'b', 'c d'] });
    expect(read('names: {0: person,\n  1: bicycle, # two wheels\n  2: car}\nnc: 3')).toEqual({ names: { '0': 'person', '1': 'bicycle', '2': 'car' }, nc: 3 });
    expect(read('train: [images/a,\n        images/b]\n')).toEqual({ train: ['images/a', 'images/b'] });
  });

  it('reads quoted scalars with their escapes', () => {
    expect(read(`a: 'it''s # not a comment'\nb: "tab\\there \\"q\\" \\u00e9 \\x41 \\U0001F600 \\\\"\nc: ''\nd: ""`)).toEqual({
      a: "it's # not a comment",
      b: 'tab\there "q" é A 😀 \\',
      c: '',
      d: '',
    });
    expect(read('"a: b": 1\n\'c\': 2')).toEqual({ 'a: b': 1, c: 2 });
  });

  it('resolves plain scalars as PyYAML (YAML 1.1) does', () => {
    const cases: [string, unknown][] = [
      ['yes', true], ['No', false], ['ON', true], ['off', false], ['true', true], ['False', false],
      ['y', 'y'], ['n', 'n'], ['~', null], ['null', null], ['', null],
      ['12', 12], ['-3', -3], ['+4', 4], ['1_000', 1000], ['010', 8], ['0x1F', 31], ['0b101', 5],
      ['1.5', 1.5], ['3.', 3], ['.5', 0.5], ['1.0e+5', 100000], ['1e5', '1e5'], ['1.0e5', '1.0e5'],
      ['.inf', Infinity], ['-.Inf', -Infinity], ['0o17', '0o17'], ['1:30', 90], ['1:30:00', 5400], ['-1:30.5', -90.5], ['1:60', '1:60'], ['01:30', '01:30'], ['person', 'person'],
    ];
    for (const [text, want] of cases) expect([text, resolvePlain(text)]).toEqual([text, want]);
    expect(Number.isNaN(resolvePlain('.nan'))).toBe(true);
  });

  it('keeps "#" inside a word, drops comments after a space, and reads empty documents as null', () => {
    expect(read('a: b#c # comment\n# whole line\nd: "#x" # c')).toEqual({ a: 'b#c', d: '#x' });
    expect(read('')).toBeNull();
    expect(read('# only a comment\n')).toBeNull();
    expect(read('---\na: 1\n...\n')).toEqual({ a: 1 });
    expect(read('\uFEFFa: 1\r\nb: 2\r\n')).toEqual({ a: 1, b: 2 });
  });

  it('reads nested mappings, sequences of mappings and sequences of sequences', () => {
    const text = ['top:', '  inner:', '    k: v', '  list:', '  - a: 1', '    b: [x, y]', '  - - 1', '    - 2', '  - ', '    z: 0', 'after: end'].join('\n');
    expect(read(text)).toEqual({ top: { inner: { k: 'v' }, list: [{ a: 1, b: ['x', 'y'] }, [1, 2], { z: 0 }] }, after: 'end' });
  });

  it('gives keys as text: 0 and "0" name the same key', () => {
    const v = parseYaml('0: a\n1: b').value as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['0', '1']);
    expect(read('__proto__: x')).toEqual(JSON.parse('{"__proto__": "x"}'));
  });

  it('tells the line of each value', () => {
    const doc = parseYaml('# c\na: 1\nnames:\n  0: x\n  1: y\nlist: [p,\n  q]\nseq:\n- m\n- n\n');
    expect(doc.lineOf(['a'])).toBe(2);
    expect(doc.lineOf(['names'])).toBe(3);
    expect(doc.lineOf(['names', '1'])).toBe(5);
    expect(doc.lineOf(['list', 1])).toBe(7);
    expect(doc.lineOf(['seq', 1])).toBe(10);
    expect(doc.lineOf(['nope'])).toBeNull();
  });
});

describe('parseYaml: what it refuses, with the line', () => {
  const cases: [string, string, number, RegExp][] = [
    ['a tab in the indentation', 'a:\n\tb: 1', 2, /tab/],
    ['an anchor', 'a: &x 1\nb: *x', 1, /anchors/],
    ['an alias', 'a: 1\nb: *x', 2, /anchors and aliases/],
    ['a tag', 'a: !!str 1', 1, /tags/],
    ['a block scalar', 'a: |\n  text', 1, /block scalars/],
    ['a folded scalar', 'x: 1\na: >-\n  text', 2, /block scalars/],
    ['a complex key', '? a\n: b', 1, /complex keys/],
    ['a duplicate key', 'a: 1\nb: 2\na: 3', 3, /duplicate key "a"/],
    ['a duplicate flow key', 'n: {0: a,\n 0: b}', 2, /duplicate key "0"/],
    ['an unclosed quote', "a: 'x\nb: 1", 1, /not closed/],
    ['an unclosed flow sequence', 'a: [1, 2\nb: 3', 1, /not closed|expected ","/],
    ['a flow sequence that never closes', 'a: [1, 2', 1, /not closed/],
    ['a second document', 'a: 1\n---\nb: 2', 2, /second document/],
    ['a plain scalar over two lines', 'a: one\n  two', 2, /several lines/],
    ['a value with ": " inside', 'a: b: c', 1, /": " inside a plain value/],
    ['an item where a key was expected', 'a: 1\n- b', 2, /sequence item/],
    ['a line that is not key: value', 'a: 1\nb', 2, /expected "key: value"/],
    ['bad indentation in a sequence', 'a:\n  - x\n    - y', 3, /indentation|several lines/],
    ['trailing text after a quoted value', 'a: "x" y', 1, /unexpected/],
    ['an unknown escape', 'a: "\\q"', 1, /unknown escape/],
    ['a short \\u escape', 'a: "\\u12"', 1, /hexadecimal/],
    ['a control character', 'a: b\u0007', 1, /U\+0007/],
    ['a directive', '%YAML 1.2\n---\na: 1', 1, /directive/],
    ['content after "..."', 'a: 1\n...\nb: 2', 3, /after the end/],
    ['key: value inside [ ]', 'a: [b: c]', 1, /not supported/],
  ];
  for (const [what, text, line, message] of cases) {
    it(`refuses ${what} (line ${line})`, () => {
      const e = errorOf(text);
      expect(e.line).toBe(line);
      expect(e.problem).toMatch(message);
      expect(e.message).toMatch(new RegExp(`^line ${line}: `));
    });
  }
});

describe('stringifyYaml and yamlString', () => {
  it('writes block mappings, flow lists of scalars and bare index keys', () => {
    expect(stringifyYaml({ train: 'images/train', kpt_shape: [17, 3], names: { '0': 'person', '1': 'yes' }, empty: {}, list: [{ a: 1, b: 2 }, [1]] })).toBe(
      ['train: images/train', 'kpt_shape: [17, 3]', 'names:', '  0: person', '  1: "yes"', 'empty: {}', 'list:', '  - a: 1', '    b: 2', '  - [1]', ''].join('\n'),
    );
  });

  it('quotes what would not read back as the same string', () => {
    for (const s of ['yes', 'No', 'null', '~', '', '12', '1.5', '0x1F', 'y', 'N', ' lead', 'trail ', 'a: b', 'a #b', '#x', '- x', '[x]', '{x}', "it's", 'say "hi"', '&a', '*a', '!t', '|', '>', '%p', '@x', '`x', 'tab\tin', 'new\nline', '\u0085', '\u2028', '\uFEFF', 'é', '😀', '\u0000']) {
      const written = yamlString(s);
      expect([s, read(`k: ${written}`).k]).toEqual([s, s]);
    }
    expect(yamlString('traffic light')).toBe('traffic light');
    expect(yamlString('images/train')).toBe('images/train');
    expect(yamlString('yes')).toBe('"yes"');
  });

  it('round-trips random documents through its own reader (property)', () => {
    const rand = mulberry32(7);
    const pool = ['a', 'Z', '0', '9', ' ', ':', '#', "'", '"', '\\', '-', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '?', '%', '@', 'é', '😀', '\t', '\n', '\u0085', '~', '.', 'e', '+'];
    const str = () => Array.from({ length: Math.floor(rand() * 8) }, () => pool[Math.floor(rand() * pool.length)]).join('');
    const scalar = (): YamlValue => {
      const r = rand();
      return r < 0.5 ? str() : r < 0.7 ? Math.floor(rand() * 2000) - 1000 : r < 0.8 ? Math.round(rand() * 1e6) / 1e3 : r < 0.9 ? rand() < 0.5 : null;
    };
    const value = (depth: number): YamlValue => {
      const r = rand();
      if (depth > 2 || r < 0.5) return scalar();
      if (r < 0.75) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      const m: Record<string, YamlValue> = {};
      for (let i = Math.floor(rand() * 4); i > 0; i--) m[rand() < 0.3 ? String(Math.floor(rand() * 5)) : str() || 'k'] = value(depth + 1);
      return m;
    };
    for (let n = 0; n < 300; n++) {
      const doc: Record<string, YamlValue> = { names: value(0), other: value(0) };
      expect(read(stringifyYaml(doc))).toEqual(plain(doc));
    }
  });
});

// ---------------------------------------------------------------- PyYAML, the reader Ultralytics uses

if (!hasPyYaml) console.log('yaml.test: PyYAML cross-checks skipped: python3 with PyYAML is not available here');

describe.skipIf(!hasPyYaml)('agrees with PyYAML (Ultralytics reads data.yaml with yaml.safe_load)', () => {
  it('reads the same values from the same files', () => {
    const texts = [
      'path: ../d # root\ntrain: images/train\nval: [a, "b", \'c\']\ntest:\nnames:\n  0: person\n  1: "traffic: light"\n  2: \'it\'\'s\'\nkpt_shape: [17, 3]',
      'names:\n- yes\n- No\n- "on"\n- ~\n- 010\n- 0x1F\n- 1e5\n- 1.0e+5\n- 3.\n- .5\n- 1_000\n- y\n- a#b\n- é😀',
      'names: {0: a,\n  1: b, 2: "c\\td"}\nnc: 3',
      'top:\n  list:\n  - a: 1\n    b: [x, {k: v}]\n  - - 1\n    - 2\n  empty: []\n  emptymap: {}\n',
      '---\n"quoted key": 1\n\'single\': two\n0: zero\ntrue: t\n...\n',
      'a: "\\u00e9\\x41\\U0001F600\\\\\\"\\/\\ \\_"\nb: \'\'\nc: ""\nd: it\'s\ne: -1\nf: +2\ng: 0b11\n',
      'list:\n  - one\n  -\n    - nested\n  - three\n',
    ];
    const py = pyYamlLoad(texts);
    texts.forEach((t, i) => expect([i, read(t)]).toEqual([i, py[i]]));
  });

  it('reads what stringifyYaml writes as the same values', () => {
    const rand = mulberry32(11);
    const pool = ['a', 'Z', '0', '9', ' ', ':', '#', "'", '"', '\\', '-', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '?', '%', '@', 'é', '😀', '\t', '\n', '\u0085', '\u00a0', '~', '.', 'e', '+', '\u007f', '\u0001'];
    const docs: Record<string, YamlValue>[] = [];
    for (let n = 0; n < 200; n++) {
      const names: Record<string, YamlValue> = {};
      for (let i = 0; i < 4; i++) names[String(i)] = Array.from({ length: Math.floor(rand() * 7) }, () => pool[Math.floor(rand() * pool.length)]).join('');
      docs.push({ names, kpt_shape: [Math.floor(rand() * 30) + 1, 3], ratio: Math.round(rand() * 1e6) / 1e3, tiny: 1e-7, flag: rand() < 0.5, none: null, list: ['yes', 'no', '1.5', ''] });
    }
    const texts = docs.map(stringifyYaml);
    const py = pyYamlLoad(texts);
    docs.forEach((d, i) => expect([texts[i], py[i]]).toEqual([texts[i], plain(d)]));
  });
});
