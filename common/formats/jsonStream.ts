/**
 * An incremental splitter for big JSON documents such as COCO files (hundreds of MB): text goes in by chunks,
 * and each element of each top-level array comes out as its own raw JSON text, for the caller to JSON.parse.
 * Only the element being read is buffered, so memory stays bounded by the largest element whatever the file
 * size, and each push costs O(chunk).
 *
 * What it checks: the top level is an object or an array; the structure around elements (keys, colons,
 * commas, closing brackets, nothing after the end); brackets inside elements balance and match; strings end.
 * What it leaves to the caller's JSON.parse: the contents of elements (numbers, escapes, literals inside them),
 * which it would only check more slowly.
 */
import { FormatError } from './types.js';

export interface JsonSplitterOptions {
  /** Named in errors. */
  file: string;
  /**
   * One element of a top-level array. `key` is the top-level object's key holding the array (null when the
   * document itself is an array); `index` counts from 0 per array; `line` is where the element starts, 1-based.
   */
  onElement(key: string | null, index: number, text: string, line: number): void;
  /** A top-level object's value that is not an array (COCO's `info`), as raw JSON text. */
  onValue?(key: string, text: string, line: number): void;
  /** A top-level array has ended after `count` elements (lets a reader know a section is complete). */
  onArrayEnd?(key: string | null, count: number, line: number): void;
}

// Parser states: where we are in the document's outer structure.
const enum S {
  Start, // before the top-level value
  KeyOrEnd, // after '{': a key or '}'
  Key, // inside a key string
  Colon, // after a key
  Value, // after ':'
  CommaOrEnd, // after a top-level object's value: ',' or '}'
  KeyAfterComma, // after ',' in the top-level object: a key
  ElementOrEnd, // after an array's '[': an element or ']'
  Element, // after ',' in an array: an element
  ElementCommaOrEnd, // after an element: ',' or ']'
  Capture, // inside an element or value
  Done, // after the top-level value: only whitespace
}

// Character codes.
const QUOTE = 34, BACKSLASH = 92, LBRACE = 123, RBRACE = 125, LBRACKET = 91, RBRACKET = 93, COMMA = 44, COLON = 58;
const SPACE = 32, TAB = 9, LF = 10, CR = 13, BOM = 0xfeff;

/** Characters that matter inside an element outside strings: quotes and brackets. */
const STRUCTURAL = new Uint8Array(128);
for (const c of [QUOTE, LBRACE, RBRACE, LBRACKET, RBRACKET]) STRUCTURAL[c] = 1;

const isSpace = (c: number): boolean => c === SPACE || c === LF || c === CR || c === TAB;

/** A primitive element or value (number, true, false, null): checked here, since it is cheap and tiny. */
const PRIMITIVE = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;

export class JsonSplitter {
  private readonly opts: JsonSplitterOptions;
  private state = S.Start;
  private topIsArray = false;

  // Lines are counted lazily with indexOf up to the positions we need, not per character in the hot loop.
  private line = 1;
  private lineCountedTo = 0; // position in the current chunk up to which `line` is counted

  // The current top-level key, read possibly across chunks.
  private key: string | null = null;
  private keyParts: string[] = [];
  private keyEscape = false;
  private keyLine = 1;
  private keyStart = 0; // where the key's text starts in the current chunk

  // The array being split.
  private arrayKey: string | null = null;
  private index = 0;

  // The element or value being captured.
  private parts: string[] = [];
  private captureIsValue = false; // a top-level object's non-array value (goes to onValue)
  private captureLine = 1;
  private depth = 0;
  private stack: number[] = []; // the open brackets' closing characters
  private inString = false;
  private escape = false;
  private primitive = false; // capturing a bare number / literal, which ends at a delimiter
  private captureStart = 0; // where the element's text starts in the current chunk

  private ended = false;
  private pushedAny = false; // a byte-order mark is allowed only at the very start

  constructor(opts: JsonSplitterOptions) {
    this.opts = opts;
  }

  /** The 1-based line of position `pos` in `chunk` (positions must not go backwards within a chunk). */
  private lineAt(chunk: string, pos: number): number {
    if (pos <= this.lineCountedTo) return this.line;
    let i = chunk.indexOf('\n', this.lineCountedTo);
    while (i !== -1 && i < pos) {
      this.line++;
      i = chunk.indexOf('\n', i + 1);
    }
    this.lineCountedTo = pos;
    return this.line;
  }

  private fail(chunk: string | null, pos: number, problem: string): never {
    const line = chunk === null ? this.line : this.lineAt(chunk, pos);
    throw new FormatError(this.opts.file, `line ${line}`, problem);
  }

  private describe(c: number): string {
    return c === LF ? 'a line break' : `"${String.fromCharCode(c)}"`;
  }

  push(chunk: string): void {
    if (this.ended) throw new Error('JsonSplitter: push after end');
    const n = chunk.length;
    let i = 0;
    this.lineCountedTo = 0;
    // A key or element that goes on from the last chunk goes on from this one's start.
    this.keyStart = 0;
    this.captureStart = 0;
    while (i < n) {
      switch (this.state) {
        case S.Start: {
          const c = chunk.charCodeAt(i);
          if (isSpace(c) || (c === BOM && i === 0 && !this.pushedAny)) {
            i++;
            break;
          }
          if (c === LBRACE) this.state = S.KeyOrEnd;
          else if (c === LBRACKET) {
            this.topIsArray = true;
            this.arrayKey = null;
            this.index = 0;
            this.state = S.ElementOrEnd;
          } else this.fail(chunk, i, `the top level must be a JSON object or array, found ${this.describe(c)}`);
          i++;
          break;
        }
        case S.KeyOrEnd:
        case S.KeyAfterComma: {
          const c = chunk.charCodeAt(i);
          if (isSpace(c)) {
            i++;
            break;
          }
          if (c === QUOTE) {
            this.keyParts = [];
            this.keyEscape = false;
            this.keyLine = this.lineAt(chunk, i);
            this.state = S.Key;
            i++;
            this.keyStart = i;
          } else if (c === RBRACE && this.state === S.KeyOrEnd) {
            this.state = S.Done;
            i++;
          } else {
            this.fail(chunk, i, c === RBRACE ? 'a comma before "}"' : `expected a key in quotes, found ${this.describe(c)}`);
          }
          break;
        }
        case S.Key: {
          // Keys are short; scan to the closing quote, minding escapes.
          let j = i;
          for (; j < n; j++) {
            const c = chunk.charCodeAt(j);
            if (this.keyEscape) this.keyEscape = false;
            else if (c === BACKSLASH) this.keyEscape = true;
            else if (c === QUOTE) break;
          }
          if (j < n) {
            this.keyParts.push(chunk.slice(this.keyStart, j));
            const raw = '"' + this.keyParts.join('') + '"';
            try {
              this.key = JSON.parse(raw) as string;
            } catch {
              this.fail(chunk, j, `the key ${raw.slice(0, 80)} is not a valid JSON string`);
            }
            this.state = S.Colon;
            j++;
          }
          i = j;
          break;
        }
        case S.Colon: {
          const c = chunk.charCodeAt(i);
          if (isSpace(c)) {
            i++;
            break;
          }
          if (c !== COLON) this.fail(chunk, i, `expected ":" after the key "${this.key}", found ${this.describe(c)}`);
          this.state = S.Value;
          i++;
          break;
        }
        case S.Value: {
          const c = chunk.charCodeAt(i);
          if (isSpace(c)) {
            i++;
            break;
          }
          if (c === LBRACKET) {
            this.arrayKey = this.key;
            this.index = 0;
            this.state = S.ElementOrEnd;
            i++;
          } else {
            this.captureIsValue = true;
            i = this.startCapture(chunk, i);
          }
          break;
        }
        case S.CommaOrEnd: {
          const c = chunk.charCodeAt(i);
          if (isSpace(c)) {
            i++;
            break;
          }
          if (c === COMMA) this.state = S.KeyAfterComma;
          else if (c === RBRACE) this.state = S.Done;
          else this.fail(chunk, i, `expected "," or "}" after the value of "${this.key}", found ${this.describe(c)}`);
          i++;
          break;
        }
        case S.ElementOrEnd:
        case S.Element: {
          const c = chunk.charCodeAt(i);
          if (isSpace(c)) {
            i++;
            break;
          }
          if (c === RBRACKET) {
            if (this.state === S.Element) this.fail(chunk, i, `a comma before "]" ${this.where()}`);
            i++;
            this.endArray(chunk, i);
            break;
          }
          this.captureIsValue = false;
          i = this.startCapture(chunk, i);
          break;
        }
        case S.ElementCommaOrEnd: {
          const c = chunk.charCodeAt(i);
          if (isSpace(c)) {
            i++;
            break;
          }
          if (c === COMMA) this.state = S.Element;
          else if (c === RBRACKET) {
            i++;
            this.endArray(chunk, i);
            break;
          } else this.fail(chunk, i, `expected "," or "]" after element ${this.index - 1} ${this.where()}, found ${this.describe(c)}`);
          i++;
          break;
        }
        case S.Capture:
          i = this.capture(chunk, i);
          break;
        case S.Done: {
          const c = chunk.charCodeAt(i);
          if (!isSpace(c)) this.fail(chunk, i, `unexpected ${this.describe(c)} after the end of the top-level ${this.topIsArray ? 'array' : 'object'}`);
          i++;
          break;
        }
      }
    }
    // Keep the part of a key or element that this chunk ends inside (it may have begun on its last character).
    if (this.state === S.Key) this.keyParts.push(chunk.slice(this.keyStart, n));
    else if (this.state === S.Capture) this.parts.push(chunk.slice(this.captureStart, n));
    if (n > 0) this.pushedAny = true;
    // Count the rest of the chunk's lines so the next chunk starts from the right line.
    this.lineAt(chunk, n);
    this.lineCountedTo = 0;
  }

  private where(): string {
    return this.arrayKey === null ? 'in the top-level array' : `in "${this.arrayKey}"`;
  }

  private endArray(chunk: string, pos: number): void {
    this.opts.onArrayEnd?.(this.arrayKey, this.index, this.lineAt(chunk, pos));
    this.state = this.topIsArray ? S.Done : S.CommaOrEnd;
  }

  /** Begin an element or value at chunk[i]; returns where scanning continues. */
  private startCapture(chunk: string, i: number): number {
    const c = chunk.charCodeAt(i);
    this.captureLine = this.lineAt(chunk, i);
    this.parts = [];
    this.depth = 0;
    this.stack.length = 0;
    this.inString = false;
    this.escape = false;
    this.primitive = false;
    if (c === LBRACE || c === LBRACKET) {
      this.depth = 1;
      this.stack.push(c === LBRACE ? RBRACE : RBRACKET);
    } else if (c === QUOTE) {
      this.inString = true;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57) || c === 116 /* t */ || c === 102 /* f */ || c === 110 /* n */) {
      this.primitive = true;
    } else {
      this.fail(chunk, i, `expected a JSON value ${this.captureIsValue ? `for "${this.key}"` : this.where()}, found ${this.describe(c)}`);
    }
    this.state = S.Capture;
    this.captureStart = i;
    return i + 1;
  }

  /** Scan the element from chunk[i]; on its end, deliver it. Returns where scanning continues. */
  private capture(chunk: string, i: number): number {
    const n = chunk.length;
    const start = this.captureStart;
    if (this.primitive) {
      // A bare number or literal ends at the first delimiter (not part of it).
      let j = i;
      for (; j < n; j++) {
        const c = chunk.charCodeAt(j);
        if (c === COMMA || c === RBRACKET || c === RBRACE || isSpace(c)) break;
      }
      if (j === n) return n; // goes on in the next chunk (push keeps the text)
      this.parts.push(chunk.slice(start, j));
      const text = this.takeParts();
      if (!PRIMITIVE.test(text)) this.fail(chunk, j, `${JSON.stringify(text.slice(0, 40))} is not a JSON value`);
      this.deliver(text);
      return j;
    }
    let depth = this.depth, inString = this.inString, escape = this.escape;
    let j = i;
    // The hot loop: most characters (digits, commas, letters) only need one table look-up to be skipped.
    scan: while (j < n) {
      if (inString) {
        if (escape) {
          escape = false;
          j++;
        }
        // Jump to the next quote (indexOf is much faster than a loop on long strings such as RLE counts); it
        // ends the string unless an odd run of backslashes, counted back from it, escapes it. The character
        // at j is known to be unescaped, so runs are counted from j only.
        let q = chunk.indexOf('"', j);
        while (q !== -1) {
          let k = q;
          while (k > j && chunk.charCodeAt(k - 1) === BACKSLASH) k--;
          if (((q - k) & 1) === 0) break;
          q = chunk.indexOf('"', q + 1);
        }
        if (q === -1) {
          // The string goes on in the next chunk: an odd run of backslashes at the end escapes its first character.
          let k = n;
          while (k > j && chunk.charCodeAt(k - 1) === BACKSLASH) k--;
          escape = ((n - k) & 1) === 1;
          j = n;
          break;
        }
        j = q;
        inString = false;
        if (depth === 0) break; // a string element ends here
        j++;
        continue;
      }
      let c = 0;
      for (; j < n; j++) {
        c = chunk.charCodeAt(j);
        if (c < 128 && STRUCTURAL[c]) break;
      }
      if (j === n) break;
      if (c === QUOTE) inString = true;
      else if (c === LBRACE || c === LBRACKET) {
        depth++;
        this.stack.push(c === LBRACE ? RBRACE : RBRACKET);
      } else {
        const want = this.stack.pop();
        if (c !== want) {
          this.fail(chunk, j, `"${String.fromCharCode(c)}" does not match "${want === RBRACE ? '{' : '['}" ${this.captureIsValue ? `in the value of "${this.key}"` : `in element ${this.index} ${this.where()}`}`);
        }
        if (--depth === 0) break;
      }
      j++;
    }
    if (j === n) {
      // The element goes on in the next chunk: keep the scanner's state (push keeps the text).
      this.depth = depth;
      this.inString = inString;
      this.escape = escape;
      return n;
    }
    j++; // include the closing bracket or quote
    this.parts.push(chunk.slice(start, j));
    this.deliver(this.takeParts());
    return j;
  }

  private takeParts(): string {
    const text = this.parts.length === 1 ? this.parts[0] : this.parts.join('');
    this.parts = [];
    return text;
  }

  private deliver(text: string): void {
    if (this.captureIsValue) {
      this.opts.onValue?.(this.key!, text, this.captureLine);
      this.state = S.CommaOrEnd;
    } else {
      this.opts.onElement(this.arrayKey, this.index++, text, this.captureLine);
      this.state = S.ElementCommaOrEnd;
    }
  }

  /** The input is complete: throws if the document is truncated. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    switch (this.state) {
      case S.Done:
        return;
      case S.Start:
        this.fail(null, 0, 'the file is empty: expected a JSON object or array');
        break;
      case S.Capture:
        this.fail(
          null,
          0,
          `the file ends inside ${this.captureIsValue ? `the value of "${this.key}"` : `element ${this.index} ${this.where()}`} (started on line ${this.captureLine}): truncated?`,
        );
        break;
      case S.Key:
        this.fail(null, 0, `the file ends inside a key (started on line ${this.keyLine}): truncated?`);
        break;
      default:
        this.fail(null, 0, `the file ends before the top-level ${this.topIsArray ? 'array' : 'object'} is closed: truncated?`);
    }
  }
}
