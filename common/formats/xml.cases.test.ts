/**
 * More cases for the XML reader, writer escape and byte decoding: the boundaries of XML 1.0's rules (Char,
 * references, the declaration, DOCTYPE skipping, nesting depth) and the exact messages a user reads.
 */
import { describe, expect, it } from 'vitest';
import { refusal } from '../../test/formats-testkit.js';
import { decodeXmlBytes, escapeXml, parseXml } from './xml.js';

const enc = new TextEncoder();
/** [where, problem] of the FormatError parsing `doc` raises; the file is always named. */
function refused(doc: string): [string | null, string] {
  const e = refusal(() => parseXml(doc, 'Annotations/x.xml'));
  expect(e.file).toBe('Annotations/x.xml');
  return [e.where, e.problem];
}

describe('escapeXml at the edges of XML 1.0 Char', () => {
  it('keeps tab, newline, the ends of the allowed ranges and surrogate pairs as they are', () => {
    const ok = '\t\n \uD7FF\uE000\uFFFD\uD83D\uDE00\uD800\uDC00\uDBFF\uDFFFz';
    expect(escapeXml(ok)).toBe(ok);
    expect(escapeXml('a\rb')).toBe('a&#13;b');
  });

  it('refuses controls, lone surrogates and U+FFFE / U+FFFF, naming the character and the string', () => {
    expect(() => escapeXml('a\u001Fb')).toThrow('XML 1.0 cannot hold the character U+001F in "a\\u001fb"');
    expect(() => escapeXml('\u0008')).toThrow('U+0008');
    expect(() => escapeXml('x\uDC00')).toThrow('U+DC00'); // a low surrogate alone
    expect(() => escapeXml('x\uDBFF')).toThrow('U+DBFF'); // a high surrogate at the end
    expect(() => escapeXml('\uD800\uD800\uDC00')).toThrow('U+D800'); // high, then a pair
    expect(() => escapeXml('\uD800\uE000')).toThrow('U+D800'); // high before a non-surrogate
    expect(() => escapeXml('\uDC00\uDC00')).toThrow('U+DC00'); // two low surrogates are no pair
    expect(() => escapeXml('\uFFFE')).toThrow('U+FFFE');
  });
});

describe('decodeXmlBytes', () => {
  it('reads UTF-16BE with a BOM', () => {
    const be = [0xfe, 0xff, ...Array.from('<a>é€</a>').flatMap((c) => [c.charCodeAt(0) >> 8, c.charCodeAt(0) & 0xff])];
    expect(decodeXmlBytes(Uint8Array.from(be), 'f.xml')).toBe('<a>é€</a>');
  });

  it("uses the declared encoding (single quotes, any case), but a BOM wins over the declaration", () => {
    // windows-1252: 0xE9 is é (as a UTF-8 byte it would be invalid).
    const cp = Uint8Array.from([...enc.encode("<?xml version='1.0' encoding='Windows-1252'?><a>"), 0xe9, ...enc.encode('</a>')]);
    expect(decodeXmlBytes(cp, 'f.xml')).toBe("<?xml version='1.0' encoding='Windows-1252'?><a>é</a>");
    const bom = Uint8Array.from([0xef, 0xbb, 0xbf, ...enc.encode('<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>')]);
    expect(decodeXmlBytes(bom, 'f.xml')).toBe('<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>');
  });

  it('names the line of the first invalid UTF-8 byte, also under a declared "utf8"', () => {
    const bytes = Uint8Array.from([...enc.encode('<?xml version="1.0" encoding="utf8"?>\n<a>\n\n<b>'), 0xc3, ...enc.encode('</b>\n</a>\n')]);
    const e = refusal(() => decodeXmlBytes(bytes, 'Annotations/y.xml'));
    expect([e.file, e.where, e.problem]).toEqual(['Annotations/y.xml', 'line 4', 'the file is not valid UTF8 text']);
    const first = refusal(() => decodeXmlBytes(Uint8Array.from([0xff, ...enc.encode('<a/>')]), 'f.xml'));
    expect([first.where, first.problem]).toEqual(['line 1', 'the file is not valid UTF-8 text']);
  });

  it('a BOM is both of its bytes: one of them alone is just an invalid UTF-8 byte', () => {
    for (const bytes of [[0xfe, 0x3c, 0x61, 0x3e], [0x3c, 0xff, 0x00, 0x61], [0xff, 0x3c, 0x61, 0x3e], [0x3c, 0xfe, 0x3e, 0x00]]) {
      const e = refusal(() => decodeXmlBytes(Uint8Array.from(bytes), 'f.xml'));
      expect([e.where, e.problem], bytes.join(',')).toEqual(['line 1', 'the file is not valid UTF-8 text']);
    }
  });

  it('other encodings that fail say line 1', () => {
    // Declared UTF-16LE, an odd number of bytes; read as UTF-8 the bad byte would be on line 2.
    const odd = Uint8Array.from([...enc.encode('<?xml version="1.0" encoding="utf-16le"?>\n<a>'), 0xc3, 0x41]);
    const u = refusal(() => decodeXmlBytes(odd, 'f.xml'));
    expect([u.where, u.problem]).toEqual(['line 1', 'the file is not valid UTF-16LE text']);
    // An odd number of bytes after a UTF-16LE BOM: the last byte is half a code unit.
    const e = refusal(() => decodeXmlBytes(Uint8Array.from([0xff, 0xfe, 0x3c, 0x00, 0x0a, 0x00, 0x61]), 'f.xml'));
    expect([e.where, e.problem]).toEqual(['line 1', 'the file is not valid UTF-16LE text']);
  });

  it('reads the encoding only from a declaration at the very start, with any space around =', () => {
    const spaced = Uint8Array.from([...enc.encode('<?xml version="1.0" encoding = \'ISO-8859-1\'?><a>'), 0xe9, ...enc.encode('</a>')]);
    expect(decodeXmlBytes(spaced, 'f.xml')).toMatch(/<a>é<\/a>$/);
    // A declaration after a comment is no declaration (and parseXml refuses it): the bytes are UTF-8.
    const late = Uint8Array.from([...enc.encode('<!-- c --><?xml version="1.0" encoding="ISO-8859-1"?><a>'), 0xe9, ...enc.encode('</a>')]);
    expect(refusal(() => decodeXmlBytes(late, 'f.xml')).problem).toBe('the file is not valid UTF-8 text');
  });

  it('refuses an encoding this runtime does not know, naming it', () => {
    const e = refusal(() => decodeXmlBytes(enc.encode('<?xml version="1.0" encoding="x-klingon"?><a/>'), 'Annotations/z.xml'));
    expect([e.file, e.where, e.problem]).toEqual(['Annotations/z.xml', 'line 1', 'unsupported encoding "x-klingon" (save the file as UTF-8)']);
  });
});

describe('parseXml: prolog', () => {
  it('accepts the declaration with any whitespace around its parts and a two-digit minor version', () => {
    expect(parseXml('<?xml  version = "1.10"  encoding = "UTF-8"  standalone = \'yes\'  ?><a/>', 'f.xml').name).toBe('a');
    expect(parseXml('<?xml\tversion="1.0"\nencoding="UTF-8"?><a/>', 'f.xml').name).toBe('a');
    expect(refused('<?xml junk version="1.0"?><a/>')[1]).toBe('malformed XML declaration <?xml junk version="1.0"?>');
    expect(refused('<?xml version="1.0" junk?><a/>')[1]).toBe('malformed XML declaration <?xml version="1.0" junk?>');
    expect(refused('<?xml version="1."?><a/>')[1]).toMatch(/^malformed/);
    expect(refused('<?xml version="1.0"encoding="UTF-8"?><a/>')[1]).toMatch(/^malformed/);
    // '<?xml' and nothing else is an unclosed PI, not a declaration.
    expect(refused('<?xml')).toEqual(['line 1', 'a processing instruction is not closed with ?>']);
  });

  it('keeps U+FEFF inside the text (only a leading BOM is dropped)', () => {
    expect(parseXml('\uFEFF<a>x\uFEFFy</a>', 'f.xml').text).toBe('x\uFEFFy');
    expect(parseXml('<a>x\uFEFFy</a>', 'f.xml').text).toBe('x\uFEFFy');
  });

  it('accepts the declaration with single quotes, version 1.1 and trailing space', () => {
    expect(parseXml("<?xml version='1.1' encoding='utf-8' standalone='no' ?>\n<a/>", 'f.xml').name).toBe('a');
    expect(parseXml('<?xml version="1.0"?><a/>', 'f.xml').name).toBe('a');
  });

  it('a PI whose target only starts with "xml" is not the declaration', () => {
    expect(parseXml('<?xml-stylesheet href="s.css"?>\n<a>t</a>', 'f.xml').text).toBe('t');
  });

  it('refuses malformed declarations, quoting them', () => {
    expect(refused('<?xml?><a/>')).toEqual(['line 1', 'malformed XML declaration <?xml?>']);
    expect(refused('<?xml version="1.0" standalone="maybe"?><a/>')).toEqual(['line 1', 'malformed XML declaration <?xml version="1.0" standalone="maybe"?>']);
    expect(refused('<?xml version="1.0\'?><a/>')[1]).toMatch(/^malformed XML declaration/);
    expect(refused('<?xml encoding="UTF-8" version="1.0"?><a/>')[1]).toMatch(/^malformed XML declaration/);
    expect(refused('<?xml version="1.0" <a/>')).toEqual(['line 1', 'the XML declaration is not closed with ?>']);
  });

  it('refuses a late declaration in any case, and unclosed comments and PIs', () => {
    expect(refused('<a/>\n<?XML version="1.0"?>')).toEqual(['line 2', 'the XML declaration must come first in the file']);
    expect(refused('<a>\n<?xml version="1.0"?></a>')).toEqual(['line 2', 'the XML declaration must come first in the file']);
    expect(refused('<?pi x')).toEqual(['line 1', 'a processing instruction is not closed with ?>']);
    expect(refused('<!-- x\n-- >')).toEqual(['line 1', 'a comment is not closed with -->']);
    expect(refused('<!-->\n<a/>')).toEqual(['line 1', 'a comment is not closed with -->']); // '-->' overlapping '<!--' is no end
    expect(refused('<?>\n<a/>')).toEqual(['line 1', 'a processing instruction is not closed with ?>']);
    // A PI's target is a name, right after "<?" (expat refuses both of these).
    expect(refused('<a/>\n<??>')).toEqual(['line 2', 'a processing instruction has no target name right after <?']);
    expect(refused('<? pi x?><a/>')).toEqual(['line 1', 'a processing instruction has no target name right after <?']);
    expect(parseXml('<!----><a/>', 'f.xml').name).toBe('a');
    // A PI inside an element is skipped.
    expect(parseXml('<a>x<?pi y?>z</a>', 'f.xml').text).toBe('xz');
  });

  it('skips a DOCTYPE whose quoted strings or subset hold ">"', () => {
    expect(parseXml('<!DOCTYPE a SYSTEM "a>b.dtd">\n<a>1</a>', 'f.xml').text).toBe('1');
    expect(parseXml("<!DOCTYPE a PUBLIC 'x>y' 'z'><a>2</a>", 'f.xml').text).toBe('2');
    expect(parseXml('<!DOCTYPE a [ <!ATTLIST a v CDATA "p>q"> ]><a>3</a>', 'f.xml').text).toBe('3');
    // Only the internal subset is looked at for entity declarations, not what follows the DOCTYPE.
    expect(parseXml('<!DOCTYPE a [ <!ELEMENT a ANY> ]><a><!-- <!ENTITY x "y"> -->4</a>', 'f.xml').text).toBe('4');
  });

  it('refuses a DOCTYPE twice, after the root, unclosed, or declaring entities, at the DOCTYPE line', () => {
    expect(refused('<!DOCTYPE a>\n<!DOCTYPE a>\n<a/>')).toEqual(['line 2', 'a DOCTYPE is only allowed once, before the root element']);
    expect(refused('<a/>\n<!DOCTYPE a>')).toEqual(['line 2', 'a DOCTYPE is only allowed once, before the root element']);
    expect(refused('\n<!DOCTYPE a SYSTEM "x>\n<a/>')).toEqual(['line 2', 'the DOCTYPE is not closed']);
    expect(refused('\n<!DOCTYPE a [\n<!ELEMENT a ANY>\n<a/>')).toEqual(['line 2', 'the DOCTYPE is not closed']);
    expect(refused('\n<!DOCTYPE a\n')).toEqual(['line 2', 'the DOCTYPE is not closed']);
    expect(refused('<a/>\n<!DOCTYPE a [\n\n<!ENTITY e "x">]>')).toEqual(['line 2', 'a DOCTYPE is only allowed once, before the root element']);
    expect(refused('<!DOCTYPE a][<!ENTITY e "x">]><a/>')[1]).toMatch(/^the DOCTYPE declares entities/); // the subset opens at '['
    expect(refused('\n<!DOCTYPE a [\n\n<!ENTITY e "x">]><a/>')).toEqual([
      'line 2',
      'the DOCTYPE declares entities, which are refused (entity expansion can exhaust memory or read other files)',
    ]);
  });

  it('refuses other declarations outside and inside the root', () => {
    expect(refused('<!ELEMENT a ANY>\n<a/>')).toEqual(['line 1', 'a declaration or CDATA section is not allowed outside the root element']);
    expect(refused('<a>\n<!DOCTYPE b></a>')).toEqual(['line 2', 'a declaration is not allowed inside an element']);
  });

  it('names the root in errors after it', () => {
    expect(refused('<root/>\n<b/>')).toEqual(['line 2', 'content after the root element <root>']);
    expect(refused('<root/>\n\nx')).toEqual(['line 3', 'text after the root element <root>']);
    expect(refused('<!-- only -->')).toEqual(['line 1', 'no root element (the file is empty or holds only comments)']);
  });
});

describe('parseXml: elements, attributes and text', () => {
  it('accepts space before > in end tags and around = in attributes', () => {
    const root = parseXml('<a\tx = "1"\n  y=\'2"\'  ><b\n/></a \n>', 'f.xml');
    expect(root.attributes).toEqual({ x: '1', y: '2"' });
    expect(root.children.map((c) => c.name)).toEqual(['b']);
  });

  it('joins text around CDATA and children; a self-closing root may be followed by comments', () => {
    expect(parseXml('<a>x<![CDATA[<y>]]>z<b/>w</a>', 'f.xml').text).toBe('x<y>zw');
    expect(parseXml('<a><![CDATA[x]]><![CDATA[]]><![CDATA[y]]></a>', 'f.xml').text).toBe('xy');
    expect(parseXml('<a>1/2</a>', 'f.xml').text).toBe('1/2'); // a '/' in text is no end tag
    expect(parseXml('<a/><!-- c -->\n', 'f.xml').name).toBe('a');
  });

  it('accepts names with dots, dashes, digits, colons and letters beyond ASCII', () => {
    const root = parseXml('<ns:a-b.c_1 x·y="1"><café/><_z/></ns:a-b.c_1>', 'f.xml');
    expect(root.name).toBe('ns:a-b.c_1');
    expect(root.attributes).toEqual({ 'x·y': '1' });
    expect(root.children.map((c) => c.name)).toEqual(['café', '_z']);
  });

  it('expands character references in attributes after whitespace normalisation', () => {
    expect(parseXml('<a v="x&#10;y&#9;z&#x20;&#13;"/>', 'f.xml').attributes.v).toBe('x\ny\tz \r');
  });

  it('accepts character references at the edges of the allowed ranges', () => {
    const refs = ['&#9;', '&#xA;', '&#xD;', '&#x20;', '&#xD7FF;', '&#xE000;', '&#xFFFD;', '&#x10000;', '&#x10FFFF;', '&#65;', '&#x4a;'];
    expect(parseXml(`<a>${refs.join('')}</a>`, 'f.xml').text).toBe('\t\n\r \uD7FF\uE000\uFFFD\u{10000}\u{10FFFF}AJ');
  });

  it('refuses character references XML does not allow, and malformed references, at their line', () => {
    for (const ref of ['&#x1F;', '&#8;', '&#xD800;', '&#xDFFF;', '&#xFFFE;', '&#xFFFF;', '&#x110000;']) {
      expect(refused(`<a>\n${ref}</a>`), ref).toEqual(['line 2', `${ref} is not a character XML allows`]);
    }
    for (const bad of ['&;', '&#;', '&#x;', '&#12a;', '&#xG;', '&a b;', '&1a;', '& amp;', '&amp']) {
      expect(refused(`<a>\n\n${bad}</a>`), bad).toEqual(['line 3', "'&' must start a reference such as &amp; (write a literal & as &amp;)"]);
    }
    expect(refused('<a v="x\n&bogus;"/>')[0]).toBe('line 2');
    expect(refused('<a>&\n;</a>')).toEqual(['line 1', "'&' must start a reference such as &amp; (write a literal & as &amp;)"]);
    expect(refused('<a v="&bogus;"/>')).toEqual(['line 1', 'unknown entity &bogus; (only &lt; &gt; &amp; &quot; &apos; and character references are defined)']);
    expect(parseXml('<a>&_x:y;</a>'.replace('&_x:y;', '&amp;'), 'f.xml').text).toBe('&');
    expect(refused('<a>&_x.y-z:1;</a>')[1]).toMatch(/^unknown entity &_x\.y-z:1;/);
  });

  it('refuses characters XML 1.0 cannot hold in text, CDATA and attribute values', () => {
    expect(refused('<a>\n\uDC00</a>')).toEqual(['line 2', 'character U+DC00 is not allowed in XML']); // low surrogate alone
    expect(refused('<a>x\uD800</a>')).toEqual(['line 1', 'character U+D800 is not allowed in XML']); // high surrogate before '<'
    expect(refused('<a>\uD800x</a>')).toEqual(['line 1', 'character U+D800 is not allowed in XML']);
    expect(refused('<a>\uD800\uE000</a>')).toEqual(['line 1', 'character U+D800 is not allowed in XML']); // high, then no low
    expect(refused('<a>\uDC00\uDC00</a>')).toEqual(['line 1', 'character U+DC00 is not allowed in XML']); // two lows are no pair
    expect(refused('<a><![CDATA[\n\u0002]]></a>')).toEqual(['line 2', 'character U+0002 is not allowed in XML']);
    expect(refused('<a v="\uFFFE"/>')).toEqual(['line 1', 'character U+FFFE is not allowed in XML']);
    expect(refused('<a>\u001F</a>')).toEqual(['line 1', 'character U+001F is not allowed in XML']);
    // The edges of the allowed ranges, and pairs, are text.
    const ok = ' \uD7FF\uE000\uFFFD\uD83D\uDE00\uD800\uDC00\uDBFF\uDFFF\t';
    expect(parseXml(`<a v="x">${ok}<![CDATA[${ok}]]></a>`, 'f.xml').text).toBe(ok + ok);
  });

  it('nests 1000 levels deep but not 1001', () => {
    expect(parseXml('<a>'.repeat(1000) + '</a>'.repeat(1000), 'f.xml').name).toBe('a');
    expect(refused('<a>'.repeat(1001) + '</a>'.repeat(1001))).toEqual(['line 1', 'elements nest deeper than 1000 levels']);
  });

  it('refuses broken tags with the line of the tag', () => {
    expect(refused('<a>\n</a x>')).toEqual(['line 2', 'end tag </a> is not closed with >']);
    expect(refused('<a>\n</')).toEqual(['line 2', 'expected a name, got the end of the file']);
    expect(refused('< a/>')).toEqual(['line 1', 'expected a name, got " "']);
    expect(refused('<a>\n<b\n x="1"')).toEqual(['line 2', 'the start tag <b> is not closed']);
    expect(refused('<a>\n<b x="1\n/></a>')).toEqual(['line 2', 'the value of attribute x of <b> is not closed']);
    expect(refused('<a x\n="1" y = 2/>')).toEqual(['line 2', 'the value of attribute y of <a> is not quoted']);
    expect(refused('<a x\n />')).toEqual(['line 2', 'attribute x of <a> has no value (expected =)']);
    expect(refused('<a b>')).toEqual(['line 1', 'attribute b of <a> has no value (expected =)']);
    expect(refused('<a/ >')).toEqual(['line 1', "expected whitespace, '>' or '/>' in the start tag <a>"]);
    expect(refused('<a x="1"y="2"/>')).toEqual(['line 1', "expected whitespace, '>' or '/>' in the start tag <a>"]);
    expect(refused('<a\nx="1" x="2"/>')).toEqual(['line 2', 'attribute x appears twice in <a>']);
    expect(refused('<a v="\n\nx<"/>')).toEqual(['line 3', "'<' is not allowed in the value of attribute v"]);
    expect(refused('<a>x ]]\n]]> y</a>')).toEqual(['line 2', "']]>' is not allowed in text"]);
  });

  it('refuses a document that ends inside an element, naming it and its line', () => {
    expect(refused('<a>\n<b><!-- c -->')).toEqual(['line 2', 'the document ends inside <b> (opened on line 2)']);
    expect(refused('<a>\n\n<b>text')).toEqual(['line 3', 'the document ends inside <b> (opened on line 3)']);
    expect(refused('<a>\n<b/>\n<![CDATA[x]]>')).toEqual(['line 3', 'the document ends inside <a> (opened on line 1)']);
  });

  it('reports the line of each element in a long document', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `<e i="${i}"/>`);
    const root = parseXml(`<r>\n${lines.join('\n')}\n</r>`, 'f.xml');
    expect(root.children.map((c) => c.line)).toEqual(lines.map((_, i) => i + 2));
    expect(root.children[17].attributes.i).toBe('17');
  });
});
