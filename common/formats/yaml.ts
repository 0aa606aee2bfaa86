/**
 * A small YAML reader and writer: the subset dataset configuration files use (Ultralytics `data.yaml`).
 * Pure, no dependencies.
 *
 * Reads: block mappings and block sequences (nested by indentation, a sequence may sit at its key's
 * indentation), flow sequences and flow mappings (`[a, b]`, `{0: a, 1: b}`, also over several lines), plain,
 * 'single' and "double" quoted scalars, comments, a leading `---` and a trailing `...`. Plain scalars resolve as
 * PyYAML's safe_load does (YAML 1.1: `yes`/`off` are booleans, `1e5` is a string, `0o7`… see `resolvePlain`),
 * because Ultralytics reads these files with PyYAML and a name must mean here what it means there.
 * Flow scalars end where PyYAML ends them: at `,` `[` `]` `{` `}`, and at `:` only before a space, one of those or
 * the end (`{0:person}` is one key "0:person", as PyYAML reads it).
 *
 * Refuses, with the line: tabs in indentation, anchors and aliases, tags, block scalars (`|`, `>`), complex
 * keys (`?`), plain scalars over several lines, several documents, duplicate keys. Those are valid YAML, but a
 * data.yaml needs none of them, and a clear "not supported" beats reading something else than PyYAML would.
 * Also refused, as PyYAML refuses them: an empty entry in a flow collection (`[a,,b]`, `{: b}`), a missing block
 * key (`: b`), `#`, `- ` or `:` starting a flow value, a `?` inside one (`[a?b]`: PyYAML ends the scalar there),
 * and `0x_` / `0b_` (PyYAML fails on them while converting).
 * More lenient than PyYAML in one place: a tab between tokens (`a: 1<TAB># note`, `[1,<TAB>2]`) is separation
 * space, as the YAML specification has it; PyYAML 6's scanner refuses it.
 */

export type YamlScalar = string | number | boolean | null;
export type YamlValue = YamlScalar | YamlValue[] | YamlMap;
/** A mapping; keys as text (`0:` and `"0":` both give "0"). Built without a prototype, so any key is data. */
export interface YamlMap {
  [key: string]: YamlValue;
}

/** YAML this reader cannot read, or that is not YAML: names the line (1-based). */
export class YamlError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'YamlError';
  }
}

export interface YamlDocument {
  value: YamlValue;
  /** The line where the value at `path` (keys and indices from the top) starts; null when there is none. */
  lineOf(path: readonly (string | number)[]): number | null;
}

// ---------------------------------------------------------------- scalars

const BOOL_TRUE = new Set(['yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const BOOL_FALSE = new Set(['no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
// PyYAML's implicit resolvers (resolver.py), sexagesimal numbers (YAML 1.1: `1:30` is 90) included.
const INT_DEC = /^[-+]?(?:0|[1-9][0-9_]*)$/;
const INT_OCT = /^[-+]?0[0-7_]+$/;
const INT_HEX = /^[-+]?0x[0-9a-fA-F_]+$/;
const INT_BIN = /^[-+]?0b[01_]+$/;
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?)$/;
const INT_60 = /^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$/;
const FLOAT_60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/;
const INF = /^[-+]?\.(?:inf|Inf|INF)$/;
const NAN = /^\.(?:nan|NaN|NAN)$/;

/**
 * What a plain (unquoted) scalar means to PyYAML's safe_load. Throws a YamlError with line 0 for `0x_` and `0b_`,
 * which PyYAML takes for numbers and then cannot convert; the readers give it their line.
 */
export function resolvePlain(s: string): YamlScalar {
  if (NULLS.has(s)) return null;
  if (BOOL_TRUE.has(s)) return true;
  if (BOOL_FALSE.has(s)) return false;
  const sign = s.startsWith('-') ? -1 : 1;
  const body = s.replace(/^[-+]/, '').replace(/_/g, '');
  if (INT_DEC.test(s)) return sign * Number(body);
  const radix = INT_HEX.test(s) ? 16 : INT_BIN.test(s) ? 2 : 0;
  if (radix) {
    if (body.length === 2) throw new YamlError(0, `"${s}" is a number without digits to PyYAML, which cannot read it; quote it or write the digits`);
    return sign * parseInt(body.slice(2), radix);
  }
  if (INT_OCT.test(s)) return sign * parseInt(body, 8);
  if (FLOAT.test(s)) return Number(s.replace(/_/g, ''));
  // Base 60: each ":" part is a digit worth 60 times the next (PyYAML's construct_yaml_int / _float).
  if (INT_60.test(s) || FLOAT_60.test(s)) return sign * body.split(':').reduce((v, part) => v * 60 + Number(part), 0);
  if (INF.test(s)) return sign * Infinity;
  if (NAN.test(s)) return NaN;
  return s;
}

// Characters YAML allows unescaped in a document (YAML 1.1 `c-printable`, which PyYAML's reader enforces).
const NON_PRINTABLE = /[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * A string as a YAML scalar that reads back as exactly that string: plain when it is safe (it would not
 * resolve to a number, boolean or null, and holds no indicator), double-quoted with escapes otherwise.
 */
export function yamlString(s: string): string {
  // y / n are booleans to YAML 1.1 readers other than PyYAML: quote them too.
  const plainSafe =
    /^[A-Za-z_./][A-Za-z0-9_ ./()+-]*$/.test(s) && !/ $/.test(s) && !/^[yYnN]$/.test(s) && typeof resolvePlain(s) === 'string';
  if (plainSafe) return s;
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (NON_PRINTABLE.test(ch) || c === 0x85 || (c >= 0xd800 && c <= 0xdfff)) {
      out += c <= 0xff ? `\\x${hex(c, 2)}` : c <= 0xffff ? `\\u${hex(c, 4)}` : `\\U${hex(c, 8)}`;
    } else out += ch;
  }
  return out + '"';
}

const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');

function scalarText(v: YamlScalar): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '.nan';
    if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
    // PyYAML reads "1e-07" as a string: floats need a dot and a signed exponent.
    if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
    if (!/e/i.test(String(v))) return String(v);
    const [m, e] = v.toExponential().split('e');
    return `${m.includes('.') ? m : `${m}.0`}e${e.startsWith('-') ? e : `+${e.replace('+', '')}`}`;
  }
  return yamlString(v);
}

// ---------------------------------------------------------------- writer

/**
 * Block style for mappings and for sequences holding collections; flow style (`[a, b]`) for sequences of
 * scalars. Keys that look like whole numbers are written bare, so `{"0": "person"}` gives `0: person` (the
 * form Ultralytics' own dataset files use for `names`).
 */
export function stringifyYaml(value: YamlValue): string {
  const lines: string[] = [];
  writeNode(value, 0, lines, null);
  return lines.join('\n') + '\n';
}

function isScalar(v: YamlValue): v is YamlScalar {
  return v === null || typeof v !== 'object';
}

function keyText(k: string): string {
  return /^(?:0|[1-9][0-9]*)$/.test(k) ? k : yamlString(k);
}

function flow(v: YamlValue): string {
  if (isScalar(v)) return scalarText(v);
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  return `{${Object.keys(v).map((k) => `${keyText(k)}: ${flow(v[k])}`).join(', ')}}`;
}

/** `lead`: the text the first line starts with (a "key:" or "- ") when the node continues a line. */
function writeNode(v: YamlValue, indent: number, lines: string[], lead: string | null): void {
  const pad = ' '.repeat(indent);
  if (isScalar(v) || (Array.isArray(v) && v.every(isScalar)) || (!Array.isArray(v) && Object.keys(v).length === 0)) {
    lines.push(lead === null ? pad + flow(v) : `${lead} ${flow(v)}`);
    return;
  }
  if (lead !== null) lines.push(lead);
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isScalar(item) || Array.isArray(item)) writeNode(item, indent + 2, lines, `${pad}-`);
      else {
        // A mapping item: its first key on the dash's line, the rest under it.
        const sub: string[] = [];
        writeNode(item, indent + 2, sub, null);
        lines.push(`${pad}- ${sub[0].slice(indent + 2)}`, ...sub.slice(1));
      }
    }
    return;
  }
  for (const k of Object.keys(v)) writeNode(v[k], indent + 2, lines, `${pad}${keyText(k)}:`);
}

// ---------------------------------------------------------------- reader

interface Line {
  no: number;
  indent: number;
  /** Content after the indentation, comment and trailing spaces removed. */
  text: string;
}

/** Read a YAML document. Throws YamlError naming the line for what it cannot read. */
export function parseYaml(source: string): YamlDocument {
  const lines = splitLines(source);
  const positions = new Map<string, number>();
  const reader = new BlockReader(lines, positions);
  const value = reader.document();
  return { value, lineOf: (path) => positions.get(pathKey(path)) ?? null };
}

const pathKey = (path: readonly (string | number)[]) => path.map(String).join('\u0000');
// YAML's white space is spaces and tabs only; String.prototype.trim would also drop U+00A0 and others, which are
// content to YAML (PyYAML reads `a: x\u00a0` as "x\u00a0").
const trimStartWs = (s: string) => s.replace(/^[ \t]+/, '');
const trimEndWs = (s: string) => s.replace(/[ \t]+$/, '');
const trimWs = (s: string) => trimEndWs(trimStartWs(s));

function splitLines(source: string): Line[] {
  const out: Line[] = [];
  const raw = source.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  let ended = false;
  raw.forEach((full, i) => {
    const no = i + 1;
    const bad = NON_PRINTABLE.exec(full);
    if (bad) throw new YamlError(no, `character U+${hex(bad[0].codePointAt(0)!, 4)} is not allowed in YAML; write it escaped in a "double-quoted" string`);
    const indentMatch = /^[ \t]*/.exec(full)![0];
    const text = stripComment(full.slice(indentMatch.length), no).replace(/[ \t]+$/, '');
    if (text === '') return;
    if (indentMatch.includes('\t')) throw new YamlError(no, 'a tab in the indentation; YAML indents with spaces only');
    if (ended) throw new YamlError(no, 'content after the end of the document ("..."); only one document per file is read');
    if (indentMatch.length === 0 && (text === '---' || text.startsWith('--- '))) {
      if (out.length > 0) throw new YamlError(no, 'a second document ("---"); only one document per file is read');
      const rest = trimWs(text.slice(3));
      if (rest) throw new YamlError(no, 'content on the "---" line is not supported; start it on the next line');
      return;
    }
    if (indentMatch.length === 0 && text === '...') {
      ended = true;
      return;
    }
    if (indentMatch.length === 0 && text.startsWith('%')) throw new YamlError(no, `the directive "${text}" is not supported`);
    out.push({ no, indent: indentMatch.length, text });
  });
  return out;
}

/**
 * Drop a comment: `#` at the start or after a space, outside quotes. A quote opens a string only where a
 * scalar can start (after a space, `[`, `{` or `,`), so `it's` stays a plain scalar.
 */
function stripComment(s: string, no: number): string {
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) {
        if (quote === "'" && s[i + 1] === "'") i++;
        else quote = null;
      }
      continue;
    }
    const prev = i === 0 ? ' ' : s[i - 1];
    if (c === '#' && (prev === ' ' || prev === '\t')) return s.slice(0, i);
    if ((c === '"' || c === "'") && /[\s[{,]/.test(prev)) quote = c;
  }
  if (quote) throw new YamlError(no, `a ${quote === '"' ? 'double' : 'single'}-quoted string is not closed on its line (strings over several lines are not supported)`);
  return s;
}

class BlockReader {
  private i = 0;
  constructor(
    private readonly lines: Line[],
    private readonly positions: Map<string, number>,
  ) {}

  document(): YamlValue {
    if (this.lines.length === 0) return null;
    const first = this.lines[0];
    const value = this.node(first.indent, []);
    if (this.i < this.lines.length) {
      const l = this.lines[this.i];
      throw new YamlError(l.no, `unexpected indentation (${l.indent} spaces) after the document's top level`);
    }
    return value;
  }

  /** The first line that names a path wins: a key's line, not the line of the block under it. */
  private note(path: (string | number)[], no: number): void {
    const k = pathKey(path);
    if (!this.positions.has(k)) this.positions.set(k, no);
  }

  /** The block node whose first line is the current one, at `indent`. */
  private node(indent: number, path: (string | number)[]): YamlValue {
    const l = this.lines[this.i];
    this.note(path, l.no);
    if (isSeqItem(l.text)) return this.sequence(indent, path);
    if (findKeyColon(l.text, l.no) >= 0) return this.mapping(indent, path);
    // A lone scalar or flow collection.
    this.i++;
    const v = this.inline(l, l.text, path);
    const next = this.lines[this.i];
    // A plain scalar goes on over lines indented more than its parent; the top level's parent is at -1, so there a
    // line at the same indent goes on too (PyYAML reads "one\ntwo" as "one two").
    const continues = next && (next.indent > indent || (path.length === 0 && !/^["'[{]/.test(l.text)));
    if (continues) throw new YamlError(next.no, 'a plain scalar over several lines is not supported; put it on one line or quote it');
    return v;
  }

  private sequence(indent: number, path: (string | number)[]): YamlValue[] {
    const out: YamlValue[] = [];
    while (this.i < this.lines.length) {
      const l = this.lines[this.i];
      if (l.indent < indent) break;
      if (l.indent > indent) throw new YamlError(l.no, 'unexpected indentation inside a sequence');
      if (!isSeqItem(l.text)) {
        if (findKeyColon(l.text, l.no) >= 0) break; // the parent mapping's next key (a sequence at its key's indent)
        throw new YamlError(l.no, 'expected "- " (the next item of the sequence)');
      }
      const itemPath = [...path, out.length];
      const rest = l.text.slice(1).replace(/^ +/, '');
      if (rest === '') {
        this.i++;
        const next = this.lines[this.i];
        this.note(itemPath, l.no);
        out.push(next && next.indent > indent ? this.node(next.indent, itemPath) : null);
      } else {
        // "- x": read x as a node of its own at the column where it starts (so "- a: 1" opens a mapping).
        const col = l.indent + (l.text.length - rest.length);
        this.lines[this.i] = { no: l.no, indent: col, text: rest };
        out.push(this.node(col, itemPath));
      }
    }
    return out;
  }

  private mapping(indent: number, path: (string | number)[]): YamlMap {
    const out: YamlMap = Object.create(null);
    while (this.i < this.lines.length) {
      const l = this.lines[this.i];
      if (l.indent < indent) break;
      if (l.indent > indent) {
        throw new YamlError(l.no, 'unexpected indentation inside a mapping (a plain value over several lines is not supported; put it on one line)');
      }
      if (isSeqItem(l.text)) throw new YamlError(l.no, 'a sequence item where a mapping key was expected');
      const colon = findKeyColon(l.text, l.no);
      if (colon < 0) throw new YamlError(l.no, `expected "key: value", got "${clip(l.text)}"`);
      if (colon === 0) throw new YamlError(l.no, 'a key is missing before ":"');
      const rawKey = l.text.slice(0, colon);
      // "? " starts a complex key; "?:" is the plain key "?".
      if (rawKey.startsWith('? ') || rawKey.startsWith('?\t')) throw new YamlError(l.no, 'complex keys ("? ") are not supported');
      const key = this.key(trimEndWs(rawKey), l.no);
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new YamlError(l.no, `duplicate key "${key}"`);
      const keyPath = [...path, key];
      this.note(keyPath, l.no);
      const rest = trimWs(l.text.slice(colon + 1));
      this.i++;
      if (rest !== '') {
        out[key] = this.inline(l, rest, keyPath);
        continue;
      }
      const next = this.lines[this.i];
      if (next && next.indent > indent) out[key] = this.node(next.indent, keyPath);
      else if (next && next.indent === indent && isSeqItem(next.text)) out[key] = this.sequence(indent, keyPath);
      else out[key] = null;
    }
    return out;
  }

  private key(text: string, no: number): string {
    if (text.startsWith('"') || text.startsWith("'")) {
      const r = new FlowReader(text, no, []);
      const v = r.quoted();
      r.end();
      return v;
    }
    checkPlainStart(text, no);
    const v = resolveAt(text, no);
    // PyYAML gives the key as a number or boolean; as text they name the same thing for a data.yaml.
    return typeof v === 'string' ? v : text;
  }

  /** A value on the rest of a line: a scalar, or a flow collection that may go on over the next lines. */
  private inline(l: Line, text: string, path: (string | number)[]): YamlValue {
    if (text === '|' || text === '>' || /^[|>][-+0-9]*$/.test(text)) {
      throw new YamlError(l.no, 'block scalars ("|", ">") are not supported; write the text on one line, quoted');
    }
    if (text.startsWith('[') || text.startsWith('{')) {
      // Join the following lines until the brackets close; positions map back to lines for messages.
      const parts: { no: number; text: string }[] = [{ no: l.no, text }];
      while (!flowClosed(parts.map((p) => p.text).join(' '))) {
        const next = this.lines[this.i];
        if (!next) throw new YamlError(l.no, `"${text[0]}" is not closed before the end of the file`);
        parts.push({ no: next.no, text: next.text });
        this.i++;
      }
      const r = new FlowReader(parts.map((p) => p.text).join(' '), l.no, parts, this.positions);
      const v = r.value(path);
      r.end();
      return v;
    }
    const r = new FlowReader(text, l.no, [], this.positions, true);
    const v = r.value(path);
    r.end();
    return v;
  }
}

const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** resolvePlain, with the line for its refusals. */
function resolveAt(text: string, no: number): YamlScalar {
  try {
    return resolvePlain(text);
  } catch (e) {
    if (e instanceof YamlError && e.line === 0) throw new YamlError(no, e.problem);
    throw e;
  }
}

const isSeqItem = (text: string) => text === '-' || text.startsWith('- ');

function checkPlainStart(text: string, no: number): void {
  const c = text[0];
  if (c === '&' || c === '*') throw new YamlError(no, 'anchors and aliases ("&name", "*name") are not supported');
  if (c === '!') throw new YamlError(no, 'tags ("!…") are not supported');
  if (c === '@' || c === '`') throw new YamlError(no, `"${c}" cannot start a plain scalar; quote the value`);
}

/** Index of the ":" that ends a mapping key on this line, or -1 when the line is not "key: …". */
function findKeyColon(text: string, no: number): number {
  if (text.startsWith('[') || text.startsWith('{')) return -1;
  let i = 0;
  if (text.startsWith('"') || text.startsWith("'")) {
    const q = text[0];
    for (i = 1; i < text.length; i++) {
      if (q === '"' && text[i] === '\\') i++;
      else if (text[i] === q) {
        if (q === "'" && text[i + 1] === "'") i++;
        else break;
      }
    }
    if (i >= text.length) throw new YamlError(no, 'a quoted string is not closed');
    const after = trimStartWs(text.slice(i + 1));
    if (!after.startsWith(':')) return -1;
    const at = text.length - after.length;
    return at + 1 === text.length || text[at + 1] === ' ' ? at : -1;
  }
  for (; i < text.length; i++) {
    if (text[i] === ':' && (i + 1 === text.length || text[i + 1] === ' ')) return i;
  }
  return -1;
}

/** Whether the brackets of a flow collection close; quotes open only where a scalar can start, as in stripComment. */
function flowClosed(s: string): boolean {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) {
        if (quote === "'" && s[i + 1] === "'") i++;
        else quote = null;
      }
      continue;
    }
    if ((c === '"' || c === "'") && (i === 0 || /[\s[{,]/.test(s[i - 1]))) quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return depth <= 0;
}

const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029',
};

/** Reads flow values (scalars, `[…]`, `{…}`) from one string, which may join several source lines. */
class FlowReader {
  private p = 0;
  constructor(
    private readonly s: string,
    private readonly firstLine: number,
    /** The source lines joined (with one space) into `s`, to name the line of a position. */
    private readonly parts: { no: number; text: string }[],
    private readonly positions?: Map<string, number>,
    /** A value alone on a block line: a plain scalar may then hold ", [ ] { }". */
    private readonly block = false,
  ) {}

  private lineAt(pos: number): number {
    let at = 0;
    for (const part of this.parts) {
      if (pos < at + part.text.length + 1) return part.no;
      at += part.text.length + 1;
    }
    return this.parts.length ? this.parts[this.parts.length - 1].no : this.firstLine;
  }

  private fail(problem: string, pos = this.p): never {
    throw new YamlError(this.lineAt(pos), problem);
  }

  private ws(): void {
    while (this.s[this.p] === ' ' || this.s[this.p] === '\t') this.p++;
  }

  end(): void {
    this.ws();
    if (this.p < this.s.length) this.fail(`unexpected "${clip(this.s.slice(this.p))}" after the value`);
  }

  value(path: (string | number)[]): YamlValue {
    this.ws();
    const k = pathKey(path);
    if (this.positions && !this.positions.has(k)) this.positions.set(k, this.lineAt(this.p));
    const c = this.s[this.p];
    if (c === '[') return this.seq(path);
    if (c === '{') return this.map(path);
    if (c === '"' || c === "'") return this.quoted();
    return this.plain();
  }

  private seq(path: (string | number)[]): YamlValue[] {
    const out: YamlValue[] = [];
    this.p++;
    for (;;) {
      this.ws();
      if (this.s[this.p] === ']') {
        this.p++;
        return out;
      }
      if (this.p >= this.s.length) this.fail('"[" is not closed');
      const v = this.value([...path, out.length]);
      this.ws();
      if (this.s[this.p] === ':' && /[\s,\]]|$/.test(this.s[this.p + 1] ?? '')) this.fail('"key: value" pairs inside "[ ]" are not supported');
      out.push(v);
      this.ws();
      if (this.s[this.p] === ',') this.p++;
      else if (this.s[this.p] !== ']') this.fail(`expected "," or "]" in a flow sequence, got "${this.s[this.p] ?? 'the end of the line'}"`);
    }
  }

  private map(path: (string | number)[]): YamlMap {
    const out: YamlMap = Object.create(null);
    this.p++;
    for (;;) {
      this.ws();
      if (this.s[this.p] === '}') {
        this.p++;
        return out;
      }
      if (this.p >= this.s.length) this.fail('"{" is not closed');
      const keyAt = this.p;
      const c = this.s[this.p];
      let key: string;
      if (c === '"' || c === "'") key = this.quoted();
      else if (c === '[' || c === '{') this.fail('collections as keys are not supported');
      else if (c === ':' || c === ',') this.fail(`a key is missing before "${c}"`);
      else {
        const text = this.plainText();
        const v = this.resolve(text);
        key = typeof v === 'string' ? v : text;
      }
      if (Object.prototype.hasOwnProperty.call(out, key)) this.fail(`duplicate key "${key}"`, keyAt);
      const kp = pathKey([...path, key]);
      if (this.positions && !this.positions.has(kp)) this.positions.set(kp, this.lineAt(keyAt));
      this.ws();
      let v: YamlValue = null;
      if (this.s[this.p] === ':') {
        this.p++;
        this.ws();
        v = this.s[this.p] === ',' || this.s[this.p] === '}' ? null : this.value([...path, key]);
      }
      out[key] = v;
      this.ws();
      if (this.s[this.p] === ',') this.p++;
      else if (this.s[this.p] !== '}') this.fail(`expected "," or "}" in a flow mapping, got "${this.s[this.p] ?? 'the end of the line'}"`);
    }
  }

  quoted(): string {
    const q = this.s[this.p];
    const start = this.p;
    this.p++;
    let out = '';
    for (;;) {
      if (this.p >= this.s.length) this.fail(`the ${q === '"' ? 'double' : 'single'}-quoted string is not closed`, start);
      const c = this.s[this.p];
      if (q === "'") {
        if (c === "'") {
          if (this.s[this.p + 1] === "'") {
            out += "'";
            this.p += 2;
            continue;
          }
          this.p++;
          return out;
        }
        out += c;
        this.p++;
        continue;
      }
      if (c === '"') {
        this.p++;
        return out;
      }
      if (c !== '\\') {
        out += c;
        this.p++;
        continue;
      }
      const e = this.s[this.p + 1];
      if (e === undefined) this.fail('a "\\" ends the line inside a double-quoted string (continued lines are not supported)');
      const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      if (width) {
        const digits = this.s.slice(this.p + 2, this.p + 2 + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits)) this.fail(`"\\${e}" needs ${width} hexadecimal digits`);
        const code = parseInt(digits, 16);
        if (code > 0x10ffff) this.fail(`"\\${e}${digits}" is past the last Unicode character`);
        out += String.fromCodePoint(code);
        this.p += 2 + width;
      } else if (e in ESCAPES) {
        out += ESCAPES[e];
        this.p += 2;
      } else this.fail(`unknown escape "\\${e}" in a double-quoted string`);
    }
  }

  private plain(): YamlScalar {
    return this.resolve(this.plainText());
  }

  private resolve(text: string): YamlScalar {
    return resolveAt(text, this.lineAt(this.p));
  }

  /** A plain scalar's text up to where PyYAML ends it (see the header). */
  private plainText(): string {
    const start = this.p;
    const c = this.s[this.p];
    const next = this.s[this.p + 1];
    if (c === '&' || c === '*' || c === '!' || c === '@' || c === '`') checkPlainStart(this.s.slice(this.p), this.lineAt(this.p));
    if (c === '|' || c === '>') this.fail('block scalars ("|", ">") are not supported; write the text on one line, quoted');
    if (c === '%') this.fail('"%" cannot start a plain scalar; quote the value');
    // Inside "[ ]" and "{ }" a "?" always starts a complex key to PyYAML (`[?x]` is [{x: null}]).
    if (c === '?' && (!this.block || next === ' ' || next === undefined)) this.fail('complex keys ("? ") are not supported');
    if (!this.block && c === '#') this.fail('"#" starts a comment there to PyYAML, which then ignores the rest of the line; quote the value');
    if (!this.block && c === '-' && (next === ' ' || next === '\t' || next === undefined)) this.fail('"- " cannot start a value inside "[ ]" or "{ }"');
    // PyYAML's flow scalars cannot start with ":" (`[:b]`), and end at any "?" (`[a?b]`), which it then refuses.
    if (!this.block && c === ':') this.fail('":" cannot start a value inside "[ ]" or "{ }"; quote the value');
    if (this.block) {
      // In block context ", [ ] { }" are ordinary characters; ": " would start a mapping PyYAML refuses here.
      const colon = this.s.slice(this.p).search(/:(?: |$)/);
      if (colon >= 0) this.fail('": " inside a plain value; quote the value', this.p + colon);
      this.p = this.s.length;
    } else {
      while (this.p < this.s.length) {
        const ch = this.s[this.p];
        if (ch === ',' || ch === ']' || ch === '}' || ch === '[' || ch === '{') break;
        if (ch === ':' && /[\s,[\]{}]/.test(this.s[this.p + 1] ?? ' ')) break;
        if (ch === '?') this.fail('"?" inside a value in "[ ]" or "{ }" ends the value to PyYAML, which refuses the rest; quote the value');
        this.p++;
      }
    }
    const text = trimWs(this.s.slice(start, this.p));
    // An empty entry ("[a,,b]", "[,]", "{a: [,]}"): PyYAML expects a value there.
    if (!this.block && text === '') this.fail(`expected a value, got "${this.s[this.p] ?? 'the end of the line'}"`);
    return text;
  }
}
