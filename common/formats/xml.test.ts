import { refusal } from '../../test/formats-testkit.js';
import { describe, expect, it } from 'vitest';
import { decodeXmlBytes, escapeXml, parseXml, xmlChild, xmlChildren, type XmlElement } from './xml.js';
import { FormatError } from './types.js';


/** The tree without line numbers, for compact expectations. */
function shape(el: XmlElement): unknown {
  return { name: el.name, ...(Object.keys(el.attributes).length ? { attributes: el.attributes } : {}), ...(el.text.trim() ? { text: el.text } : {}), ...(el.children.length ? { children: el.children.map(shape) } : {}) };
}

describe('parseXml', () => {
  it('reads a VOC annotation as the devkit writes it, with line numbers', () => {
    const doc = `<annotation>
\t<folder>VOC2007</folder>
\t<filename>000001.jpg</filename>
\t<size>
\t\t<width>353</width>
\t\t<height>500</height>
\t\t<depth>3</depth>
\t</size>
\t<object>
\t\t<name>dog</name>
\t\t<bndbox>
\t\t\t<xmin>48</xmin>
\t\t</bndbox>
\t</object>
</annotation>
`;
    const root = parseXml(doc, 'Annotations/000001.xml');
    expect(root.name).toBe('annotation');
    expect(root.line).toBe(1);
    expect(xmlChild(root, 'filename')!.text).toBe('000001.jpg');
    expect(xmlChild(xmlChild(root, 'size')!, 'height')!.text).toBe('500');
    const obj = xmlChildren(root, 'object');
    expect(obj).toHaveLength(1);
    expect(obj[0].line).toBe(9);
    expect(xmlChild(xmlChild(obj[0], 'bndbox')!, 'xmin')!.line).toBe(12);
    expect(xmlChild(root, 'missing')).toBeUndefined();
  });

  it('handles the prolog, comments, PIs, CDATA, attributes, entities and character references', () => {
    const doc = `\uFEFF<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!-- a comment with <tags> & ampersands -->
<?xml-stylesheet href="x.css"?>
<!DOCTYPE annotation SYSTEM "voc.dtd">
<annotation  kind = 'voc' note="a &amp; b &lt;c&gt; &quot;q&quot; &apos;s&apos;">
  <name><![CDATA[cat <&> dog]]></name>
  <name>caf&#233; &#x1F600; &#10;x</name>
  <empty/>
  <empty a="1" />
  <!-- inside -->
  <mixed>one<b>two</b>three</mixed>
</annotation>
<!-- trailing comment -->
`;
    expect(shape(parseXml(doc, 'f.xml'))).toEqual({
      name: 'annotation',
      attributes: { kind: 'voc', note: `a & b <c> "q" 's'` },
      children: [
        { name: 'name', text: 'cat <&> dog' },
        { name: 'name', text: 'café 😀 \nx' },
        { name: 'empty' },
        { name: 'empty', attributes: { a: '1' } },
        { name: 'mixed', text: 'onethree', children: [{ name: 'b', text: 'two' }] },
      ],
    });
  });

  it('normalises line ends and attribute whitespace as XML 1.0 says', () => {
    const root = parseXml('<a v="x\ty\nz">1\r\n2\r3</a>', 'f.xml');
    expect(root.text).toBe('1\n2\n3');
    expect(root.attributes.v).toBe('x y z');
    expect(parseXml('<a>\r\n<b/>\r\n<c/></a>', 'f.xml').children[1].line).toBe(3);
  });

  it('accepts a DOCTYPE with an internal subset that declares no entities', () => {
    expect(parseXml('<!DOCTYPE a [ <!ELEMENT a (#PCDATA)> ]><a>x</a>', 'f.xml').text).toBe('x');
  });

  it('reads deep nesting without recursion', () => {
    const n = 900;
    const root = parseXml('<a>'.repeat(n) + '</a>'.repeat(n), 'f.xml');
    let d = 1;
    for (let e = root; e.children.length; e = e.children[0]) d++;
    expect(d).toBe(n);
  });

  const bad: [string, string, string, RegExp][] = [
    ['entity declarations', '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n]>\n<lolz>&lol;</lolz>', 'line 2', /declares entities/],
    ['external entity', '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>', 'line 1', /declares entities/],
    ['unknown entity', '<a>\n&nbsp;</a>', 'line 2', /unknown entity &nbsp;/],
    ['bare ampersand', '<a>\n\nfish & chips</a>', 'line 3', /'&' must start a reference/],
    ['bad char reference', '<a>&#0;</a>', 'line 1', /&#0; is not a character/],
    ['surrogate reference', '<a>&#xD800;</a>', 'line 1', /not a character/],
    ['mismatched end tag', '<a>\n<b>\n</c>\n</a>', 'line 3', /<\/c> does not match <b> opened on line 2/],
    ['unclosed element', '<annotation>\n<object>\n<name>x</name>\n', 'line 4', /ends inside <object> \(opened on line 2\)/],
    ['two roots', '<a/>\n<b/>', 'line 2', /content after the root element <a>/],
    ['text before root', 'hello <a/>', 'line 1', /text before the root element/],
    ['text after root', '<a/>\nhello', 'line 2', /text after the root element/],
    ['empty', '  \n ', 'line 2', /no root element/],
    ['duplicate attribute', '<a x="1"\n x="2"/>', 'line 2', /attribute x appears twice/],
    ['unquoted attribute', '<a x=1/>', 'line 1', /not quoted/],
    ['attribute without value', '<a x/>', 'line 1', /has no value/],
    ['< in attribute', '<a x="<"/>', 'line 1', /'<' is not allowed/],
    ['unclosed comment', '<a><!-- x </a>', 'line 1', /comment is not closed/],
    ['unclosed CDATA', '<a><![CDATA[ x </a>', 'line 1', /CDATA section is not closed/],
    [']]> in text', '<a>x ]]> y</a>', 'line 1', /']]>' is not allowed/],
    ['late declaration', '<!-- c -->\n<?xml version="1.0"?><a/>', 'line 2', /declaration must come first/],
    ['bad declaration', '<?xml version="2"?><a/>', 'line 1', /malformed XML declaration/],
    ['control character', '<a>\n\u0001</a>', 'line 2', /U\+0001 is not allowed/],
    ['bad name', '<1a/>', 'line 1', /expected a name/],
    ['unexpected end tag', '</a>', 'line 1', /unexpected end tag/],
    ['unclosed start tag', '<a\n x="1"', 'line 1', /start tag <a> is not closed/],
    ['attributes without space', '<a x="1"y="2"/>', 'line 1', /expected whitespace/],
    ['CDATA at top level', '<![CDATA[x]]><a/>', 'line 1', /not allowed outside the root/],
  ];
  for (const [name, doc, where, re] of bad) {
    it(`refuses ${name}, naming the file and line`, () => {
      const e = refusal(() => parseXml(doc, 'Annotations/x.xml'));
      expect(e.file).toBe('Annotations/x.xml');
      expect(e.where).toBe(where);
      expect(e.problem).toMatch(re);
    });
  }

  it('refuses too deep nesting with a message, not a stack overflow', () => {
    expect(refusal(() => parseXml('<a>'.repeat(5000), 'f.xml')).problem).toMatch(/nest deeper than 1000/);
  });
});

describe('escapeXml', () => {
  it('escapes the five special characters and \\r, and reads back through parseXml', () => {
    const s = `a&b<c>d"e'f\rg\nh\tí 😀`;
    expect(escapeXml('<&>"\'')).toBe('&lt;&amp;&gt;&quot;&apos;');
    expect(parseXml(`<a v="${escapeXml(s)}">${escapeXml(s)}</a>`, 'f.xml').text).toBe(s);
    expect(parseXml(`<a v="${escapeXml('x"y')}"/>`, 'f.xml').attributes.v).toBe('x"y');
  });

  it('refuses characters XML 1.0 cannot hold', () => {
    expect(() => escapeXml('a\u0000b')).toThrow(/U\+0000/);
    expect(() => escapeXml('a\uD800b')).toThrow(/U\+D800/);
    expect(() => escapeXml('\uFFFF')).toThrow(/U\+FFFF/);
  });
});

describe('decodeXmlBytes', () => {
  const enc = new TextEncoder();
  it('reads UTF-8 with or without a BOM, UTF-16 with a BOM and a declared Latin-1', () => {
    expect(decodeXmlBytes(enc.encode('<a>é</a>'), 'f.xml')).toBe('<a>é</a>');
    expect(decodeXmlBytes(Uint8Array.from([0xef, 0xbb, 0xbf, ...enc.encode('<a/>')]), 'f.xml')).toBe('<a/>');
    const u16 = [0xff, 0xfe, ...Array.from('<a>é</a>').flatMap((c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8])];
    expect(decodeXmlBytes(Uint8Array.from(u16), 'f.xml')).toBe('<a>é</a>');
    const latin1 = Uint8Array.from([...enc.encode('<?xml version="1.0" encoding="ISO-8859-1"?><a>'), 0xe9, ...enc.encode('</a>')]);
    expect(decodeXmlBytes(latin1, 'f.xml')).toMatch(/<a>é<\/a>$/);
  });

  it('refuses invalid UTF-8 naming the file and line, and unknown encodings', () => {
    const bytes = Uint8Array.from([...enc.encode('<a>\n<name>'), 0xff, 0xfe, ...enc.encode('</name></a>')]);
    const e = refusal(() => decodeXmlBytes(bytes, 'Annotations/x.xml'));
    expect([e.file, e.where]).toEqual(['Annotations/x.xml', 'line 2']);
    expect(e.problem).toMatch(/not valid UTF-8/);
    expect(refusal(() => decodeXmlBytes(enc.encode('<?xml version="1.0" encoding="x-klingon"?><a/>'), 'f.xml')).problem).toMatch(/unsupported encoding "x-klingon"/);
  });
});
