/**
 * A small strict XML 1.0 reader for the tests (no dependency): it rejects what a conforming parser rejects for
 * the documents tickdb writes (mismatched or unclosed tags, a bare `&` or `<`, unknown entities, duplicate or
 * unquoted attributes, text or a second element outside the root, `--` inside a comment, control characters)
 * and returns the element tree with entities decoded. No DTDs, CDATA or namespaces: tickdb writes none.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Decoded character data directly inside this element, concatenated. */
  text: string;
}

const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;
const SPACE = /[ \t\r\n]*/y;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export class XmlError extends Error {}

export function parseXml(doc: string): XmlElement {
  let pos = 0;
  const fail = (message: string): never => {
    const line = doc.slice(0, pos).split('\n').length;
    throw new XmlError(`${message} at line ${line} (offset ${pos})`);
  };
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(doc)) fail('control character in document');

  const match = (re: RegExp): string | undefined => {
    re.lastIndex = pos;
    const m = re.exec(doc);
    if (m === null) return undefined;
    pos = re.lastIndex;
    return m[0];
  };
  const skipSpace = (): boolean => (match(SPACE) ?? '') !== '';
  const expect = (literal: string): void => {
    if (!doc.startsWith(literal, pos)) fail(`expected "${literal}"`);
    pos += literal.length;
  };
  const decode = (raw: string): string =>
    raw.replace(/&([^;]*);?/g, (whole, ref: string) => {
      if (!whole.endsWith(';')) return fail(`bare "&" (${JSON.stringify(whole.slice(0, 12))})`);
      const named = ENTITIES[ref];
      if (named !== undefined) return named;
      const num = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
      if (num === null) return fail(`unknown entity &${ref};`);
      return String.fromCodePoint(num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2] ?? '', 10));
    });
  const comment = (): void => {
    expect('<!--');
    const end = doc.indexOf('-->', pos);
    if (end < 0) fail('unterminated comment');
    if (doc.slice(pos, end).includes('--') || doc[end - 1] === '-') fail('"--" inside a comment');
    pos = end + 3;
  };
  const misc = (): void => {
    for (;;) {
      skipSpace();
      if (doc.startsWith('<!--', pos)) comment();
      else if (doc.startsWith('<?', pos)) fail('processing instruction outside the prolog');
      else return;
    }
  };
  const element = (): XmlElement => {
    expect('<');
    const name = match(NAME) ?? fail('element name expected');
    const el: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      const spaced = skipSpace();
      if (doc.startsWith('/>', pos)) {
        pos += 2;
        return el;
      }
      if (doc.startsWith('>', pos)) {
        pos += 1;
        break;
      }
      if (!spaced) fail('space expected before an attribute');
      const attr = match(NAME) ?? fail('attribute name expected');
      if (attr in el.attrs) fail(`duplicate attribute ${attr}`);
      skipSpace();
      expect('=');
      skipSpace();
      const quote = doc[pos];
      if (quote !== '"' && quote !== "'") fail(`attribute ${attr} is not quoted`);
      const end = doc.indexOf(quote ?? '"', pos + 1);
      if (end < 0) fail('unterminated attribute value');
      const raw = doc.slice(pos + 1, end);
      if (raw.includes('<')) fail(`"<" in attribute ${attr}`);
      el.attrs[attr] = decode(raw);
      pos = end + 1;
    }
    for (;;) {
      const lt = doc.indexOf('<', pos);
      if (lt < 0) fail(`element <${name}> is not closed`);
      const raw = doc.slice(pos, lt);
      if (raw.includes(']]>')) fail('"]]>" in text');
      el.text += decode(raw);
      pos = lt;
      if (doc.startsWith('</', pos)) {
        pos += 2;
        const closing = match(NAME);
        if (closing !== name) fail(`</${closing ?? ''}> closes <${name}>`);
        skipSpace();
        expect('>');
        return el;
      }
      if (doc.startsWith('<!--', pos)) comment();
      else if (doc.startsWith('<![CDATA[', pos) || doc.startsWith('<?', pos) || doc.startsWith('<!', pos))
        fail('unsupported markup');
      else el.children.push(element());
    }
  };

  if (doc.startsWith('\ufeff')) pos = 1;
  if (doc.startsWith('<?xml', pos)) {
    const end = doc.indexOf('?>', pos);
    if (end < 0) fail('unterminated XML declaration');
    const decl = doc.slice(pos, end + 2);
    if (
      !/^<\?xml version=(["'])1\.[0-9]\1(?: encoding=(["'])[A-Za-z][A-Za-z0-9._-]*\2)?(?: standalone=(["'])(?:yes|no)\3)? ?\?>$/.test(
        decl,
      )
    ) {
      fail(`malformed XML declaration ${decl}`);
    }
    pos = end + 2;
  }
  misc();
  if (doc[pos] !== '<') fail('root element expected');
  const root = element();
  misc();
  if (pos !== doc.length) fail('content after the root element');
  return root;
}

/** The children of `el` named `name`. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** The single child of `el` named `name`, or an error. */
export function child(el: XmlElement, name: string): XmlElement {
  const found = childrenNamed(el, name);
  if (found.length !== 1) throw new XmlError(`<${el.name}> has ${found.length} <${name}> elements, expected 1`);
  return found[0] as XmlElement;
}
