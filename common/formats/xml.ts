/**
 * A small, strict XML 1.0 reader for dataset annotation files (Pascal VOC): prolog, comments, processing
 * instructions, CDATA, elements, attributes, text, the five predefined entities and character references.
 * It builds a plain element tree with line numbers so a format's errors can say "line 12".
 *
 * Refused on purpose: a DOCTYPE that declares entities (entity expansion is how "billion laughs" and external
 * entity attacks work, and no VOC file needs it), and anything that is not well-formed (a silently "repaired"
 * annotation file would import the wrong boxes). Namespaces are not interpreted: a prefixed name is just a name.
 */
import { FormatError } from './types.js';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  /** Child elements, in document order. */
  children: XmlElement[];
  /** The element's own text (text and CDATA directly inside it, joined; children's text is not included). */
  text: string;
  /** 1-based line of the start tag's '<'. */
  line: number;
}

/** Parse a whole document; returns its root element. Errors are FormatError(file, 'line N', …). */
export function parseXml(text: string, file: string): XmlElement {
  return new XmlReader(text, file).document();
}

/** The first child named `name`, or undefined. */
export function xmlChild(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** All children named `name`. */
export function xmlChildren(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/**
 * Escape text for an element's content or a quoted attribute value. '\r' is written as a reference because a
 * reader turns a literal one into '\n' (XML 1.0 §2.11). Characters XML 1.0 cannot hold at all (most C0
 * controls, lone surrogates, U+FFFE/U+FFFF) are refused: writing them would make a file no reader accepts.
 */
export function escapeXml(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x26: out += '&amp;'; continue;
      case 0x3c: out += '&lt;'; continue;
      case 0x3e: out += '&gt;'; continue;
      case 0x22: out += '&quot;'; continue;
      case 0x27: out += '&apos;'; continue;
      case 0x0d: out += '&#13;'; continue;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i] + s[i + 1];
        i++;
        continue;
      }
    }
    if (!allowedChar(c)) throw new Error(`XML 1.0 cannot hold the character U+${c.toString(16).toUpperCase().padStart(4, '0')} in ${JSON.stringify(s)}`);
    out += s[i];
  }
  return out;
}

/**
 * Bytes of an XML file to text: UTF-8 (the default, with or without a BOM) or UTF-16 with a BOM; another
 * encoding named in the declaration is used when this runtime's TextDecoder knows it. Invalid bytes are an
 * error naming the file, never replaced with U+FFFD (which would import a different class name).
 */
export function decodeXmlBytes(bytes: Uint8Array, file: string): string {
  let label = 'utf-8';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) label = 'utf-16be';
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) label = 'utf-16le';
  else if (!(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)) {
    // Without a BOM the declaration, in ASCII, names the encoding (XML 1.0 appendix F).
    const head = String.fromCharCode(...bytes.subarray(0, 200));
    const m = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(head);
    if (m) label = m[1].toLowerCase();
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    throw new FormatError(file, 'line 1', `unsupported encoding "${label}" (save the file as UTF-8)`);
  }
  try {
    return decoder.decode(bytes); // TextDecoder drops the BOM itself
  } catch {
    // Find the line of the first bad byte for the message (UTF-8 only; other encodings say line 1).
    let line = 1;
    if (label === 'utf-8' || label === 'utf8') {
      const ok = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
      const bad = ok.indexOf('\ufffd');
      if (bad >= 0) line = ok.slice(0, bad).split('\n').length;
    }
    throw new FormatError(file, `line ${line}`, `the file is not valid ${label.toUpperCase()} text`);
  }
}

/** XML 1.0 §2.2 Char, for one UTF-16 code unit (surrogate pairs are handled by the callers). */
function allowedChar(c: number): boolean {
  return c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd);
}

const NAME_START = /[A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800-\uDBFF]/;
const NAME_CHAR = /[-.0-9\u00B7\u0300-\u036F\u203F-\u2040A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800-\uDFFF]/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/** Deeper nesting than any annotation needs; the reader is iterative, this only bounds hostile input. */
const MAX_DEPTH = 1000;

class XmlReader {
  private pos = 0;
  private readonly s: string;
  private lineStarts: number[] | null = null;

  constructor(
    text: string,
    private readonly file: string,
  ) {
    // XML 1.0 §2.11: \r\n and a lone \r are read as \n. A leading BOM is not content.
    this.s = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  }

  document(): XmlElement {
    const s = this.s;
    if (s.startsWith('<?xml') && /[\s?]/.test(s[5] ?? '')) this.declaration();
    let root: XmlElement | null = null;
    let sawDoctype = false;
    for (;;) {
      this.skipSpace();
      if (this.pos >= s.length) break;
      if (s.startsWith('<!--', this.pos)) this.comment();
      else if (s.startsWith('<?', this.pos)) this.processingInstruction();
      else if (s.startsWith('<!DOCTYPE', this.pos)) {
        if (root || sawDoctype) this.fail('a DOCTYPE is only allowed once, before the root element');
        this.doctype();
        sawDoctype = true;
      } else if (s.startsWith('<!', this.pos)) {
        this.fail('a declaration or CDATA section is not allowed outside the root element');
      } else if (s[this.pos] === '<') {
        if (root) this.fail(`content after the root element <${root.name}>`);
        root = this.element();
      } else this.fail(root ? `text after the root element <${root.name}>` : 'text before the root element');
    }
    if (!root) this.fail('no root element (the file is empty or holds only comments)');
    return root!;
  }

  // ------------------------------------------------------------ pieces

  private declaration(): void {
    const end = this.s.indexOf('?>', this.pos);
    if (end < 0) this.fail('the XML declaration is not closed with ?>');
    const body = this.s.slice(this.pos + 5, end);
    if (!/^\s+version\s*=\s*(["'])1\.[0-9]+\1(\s+encoding\s*=\s*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*$/.test(body)) {
      this.fail(`malformed XML declaration <?xml${body}?>`);
    }
    this.pos = end + 2;
  }

  private comment(): void {
    const end = this.s.indexOf('-->', this.pos + 4);
    if (end < 0) this.fail('a comment is not closed with -->');
    this.pos = end + 3;
  }

  private processingInstruction(): void {
    const start = this.pos;
    const end = this.s.indexOf('?>', this.pos + 2);
    if (end < 0) this.fail('a processing instruction is not closed with ?>');
    const target = /^[^\s?]+/.exec(this.s.slice(start + 2, end))?.[0] ?? '';
    if (target === '') this.fail('a processing instruction has no target name right after <?', start);
    if (target.toLowerCase() === 'xml') this.fail('the XML declaration must come first in the file', start);
    this.pos = end + 2;
  }

  private doctype(): void {
    const start = this.pos;
    // Skip to the closing '>', past an internal subset in [...] and quoted strings (which may hold '>').
    let i = this.pos + 9;
    let subset: string | null = null;
    for (; i < this.s.length; i++) {
      const c = this.s[i];
      if (c === '"' || c === "'") {
        const q = this.s.indexOf(c, i + 1);
        i = q < 0 ? this.s.length : q; // an unclosed quote leaves the DOCTYPE unclosed
      } else if (c === '[') {
        const close = this.s.indexOf(']', i + 1);
        if (close < 0) {
          i = this.s.length;
          break;
        }
        subset = this.s.slice(i + 1, close);
        i = close;
      } else if (c === '>') break;
    }
    if (i >= this.s.length) this.fail('the DOCTYPE is not closed', start);
    if (subset !== null && /<!ENTITY/.test(subset)) {
      this.fail('the DOCTYPE declares entities, which are refused (entity expansion can exhaust memory or read other files)', start);
    }
    this.pos = i + 1;
  }

  /** One element and everything inside it, iteratively (no recursion, so depth cannot overflow the stack). */
  private element(): XmlElement {
    const s = this.s;
    const stack: XmlElement[] = [];
    for (;;) {
      if (s[this.pos] === '<' && s[this.pos + 1] === '/') {
        const at = this.pos;
        this.pos += 2;
        const name = this.name();
        this.skipSpace();
        if (s[this.pos] !== '>') this.fail(`end tag </${name}> is not closed with >`, at);
        this.pos++;
        const open = stack.pop();
        if (!open) this.fail(`unexpected end tag </${name}>`, at);
        if (open!.name !== name) this.fail(`end tag </${name}> does not match <${open!.name}> opened on line ${open!.line}`, at);
        if (!stack.length) return open!;
      } else if (s.startsWith('<!--', this.pos)) {
        this.comment();
      } else if (s.startsWith('<![CDATA[', this.pos)) {
        const end = s.indexOf(']]>', this.pos + 9);
        if (end < 0) this.fail('a CDATA section is not closed with ]]>');
        this.checkChars(this.pos + 9, end);
        stack[stack.length - 1].text += s.slice(this.pos + 9, end);
        this.pos = end + 3;
      } else if (s.startsWith('<?', this.pos)) {
        this.processingInstruction();
      } else if (s.startsWith('<!', this.pos)) {
        this.fail('a declaration is not allowed inside an element');
      } else if (s[this.pos] === '<') {
        if (stack.length >= MAX_DEPTH) this.fail(`elements nest deeper than ${MAX_DEPTH} levels`);
        const { element, selfClosing } = this.startTag();
        if (stack.length) stack[stack.length - 1].children.push(element);
        if (!selfClosing) stack.push(element);
        else if (!stack.length) return element; // a self-closing root
      } else {
        if (!stack.length) this.fail('text outside the root element');
        const end = s.indexOf('<', this.pos);
        if (end < 0) this.fail(`the document ends inside <${stack[stack.length - 1].name}> (opened on line ${stack[stack.length - 1].line})`, s.length);
        const raw = s.slice(this.pos, end);
        if (raw.includes(']]>')) this.fail("']]>' is not allowed in text", this.pos + raw.indexOf(']]>'));
        stack[stack.length - 1].text += this.unescape(raw, this.pos);
        this.pos = end;
      }
      if (this.pos >= s.length) {
        const open = stack[stack.length - 1];
        this.fail(`the document ends inside <${open.name}> (opened on line ${open.line})`, s.length);
      }
    }
  }

  private startTag(): { element: XmlElement; selfClosing: boolean } {
    const s = this.s;
    const at = this.pos;
    this.pos++;
    const name = this.name();
    const element: XmlElement = { name, attributes: {}, children: [], text: '', line: this.lineOf(at) };
    for (;;) {
      const hadSpace = this.skipSpace();
      const c = s[this.pos];
      if (c === '>') {
        this.pos++;
        return { element, selfClosing: false };
      }
      if (c === '/' && s[this.pos + 1] === '>') {
        this.pos += 2;
        return { element, selfClosing: true };
      }
      if (c === undefined) this.fail(`the start tag <${name}> is not closed`, at);
      if (!hadSpace) this.fail(`expected whitespace, '>' or '/>' in the start tag <${name}>`);
      const attrAt = this.pos;
      const attr = this.name();
      this.skipSpace();
      if (s[this.pos] !== '=') this.fail(`attribute ${attr} of <${name}> has no value (expected =)`);
      this.pos++;
      this.skipSpace();
      const q = s[this.pos];
      if (q !== '"' && q !== "'") this.fail(`the value of attribute ${attr} of <${name}> is not quoted`);
      const end = s.indexOf(q, this.pos + 1);
      if (end < 0) this.fail(`the value of attribute ${attr} of <${name}> is not closed`);
      const raw = s.slice(this.pos + 1, end);
      if (raw.includes('<')) this.fail(`'<' is not allowed in the value of attribute ${attr}`, this.pos + 1 + raw.indexOf('<'));
      if (Object.prototype.hasOwnProperty.call(element.attributes, attr)) this.fail(`attribute ${attr} appears twice in <${name}>`, attrAt);
      // §3.3.3: whitespace characters in a literal value become spaces; references are expanded after.
      element.attributes[attr] = this.unescape(raw.replace(/[\t\n]/g, ' '), this.pos + 1);
      this.pos = end + 1;
    }
  }

  private name(): string {
    const s = this.s;
    const start = this.pos;
    if (!NAME_START.test(s[this.pos] ?? '')) this.fail(`expected a name, got ${s[this.pos] === undefined ? 'the end of the file' : JSON.stringify(s[this.pos])}`);
    this.pos++;
    while (this.pos < s.length && NAME_CHAR.test(s[this.pos])) this.pos++;
    return s.slice(start, this.pos);
  }

  /** Expand references in text found at `at` (for line numbers) and check its characters. */
  private unescape(raw: string, at: number): string {
    this.checkChars(at, at + raw.length);
    if (!raw.includes('&')) return raw;
    let out = '';
    let i = 0;
    for (;;) {
      const amp = raw.indexOf('&', i);
      if (amp < 0) return out + raw.slice(i);
      out += raw.slice(i, amp);
      const semi = raw.indexOf(';', amp);
      const ref = semi < 0 ? '' : raw.slice(amp + 1, semi);
      if (semi < 0 || !/^(#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z_:][-A-Za-z0-9._:]*)$/.test(ref)) {
        this.fail("'&' must start a reference such as &amp; (write a literal & as &amp;)", at + amp);
      }
      if (ref[0] === '#') {
        const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        const ok = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
        if (!ok) this.fail(`&${ref}; is not a character XML allows`, at + amp);
        out += String.fromCodePoint(code);
      } else if (ref in PREDEFINED) {
        out += PREDEFINED[ref];
      } else {
        this.fail(`unknown entity &${ref}; (only &lt; &gt; &amp; &quot; &apos; and character references are defined)`, at + amp);
      }
      i = semi + 1;
    }
  }

  private checkChars(from: number, to: number): void {
    const s = this.s;
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c < 0xd800) continue;
      if (c >= 0xd800 && c <= 0xdbff) {
        const d = s.charCodeAt(i + 1);
        if (i + 1 < to && d >= 0xdc00 && d <= 0xdfff) {
          i++;
          continue;
        }
      }
      if (!allowedChar(c) || (c >= 0xdc00 && c <= 0xdfff) || (c >= 0xd800 && c <= 0xdbff)) {
        this.fail(`character U+${c.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`, i);
      }
    }
  }

  private skipSpace(): boolean {
    const start = this.pos;
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a) break;
      this.pos++;
    }
    return this.pos > start;
  }

  private lineOf(pos: number): number {
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let i = 0; i < this.s.length; i++) if (this.s.charCodeAt(i) === 0x0a) this.lineStarts.push(i + 1);
    }
    let lo = 0, hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  private fail(problem: string, at = this.pos): never {
    throw new FormatError(this.file, `line ${this.lineOf(Math.min(at, this.s.length))}`, problem);
  }
}
