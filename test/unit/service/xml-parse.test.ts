import { describe, expect, it } from 'vitest';
import { parseXml } from './xml-parse.js';

/** The test-side XML reader must reject what a real parser rejects, or the WinSW checks prove nothing. */
describe('parseXml (strict well-formedness)', () => {
  it('reads elements, attributes and entities', () => {
    const el = parseXml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c -->\n<a x="1&amp;2" y=\'&#65;\'><b>t&lt;&#x42;</b><c/></a>\n',
    );
    expect(el.name).toBe('a');
    expect(el.attrs).toEqual({ x: '1&2', y: 'A' });
    expect(el.children.map((c) => c.name)).toEqual(['b', 'c']);
    expect(el.children[0]?.text).toBe('t<B');
  });

  it.each([
    ['unclosed element', '<a><b></a>'],
    ['mismatched end tag', '<a></b>'],
    ['bare ampersand', '<a>x & y</a>'],
    ['bare ampersand in an attribute', '<a v="R&D"/>'],
    ['unknown entity', '<a>&nbsp;</a>'],
    ['"<" in an attribute', '<a v="<"/>'],
    ['unquoted attribute', '<a v=1/>'],
    ['duplicate attribute', '<a v="1" v="2"/>'],
    ['attributes without a space', '<a v="1"w="2"/>'],
    ['two root elements', '<a/><b/>'],
    ['text after the root', '<a/>x'],
    ['"--" inside a comment', '<!-- a -- b --><a/>'],
    ['control character', '<a>\u0001</a>'],
    ['late XML declaration', '<a/><?xml version="1.0"?>'],
    ['no root', '<!-- only a comment -->'],
  ])('rejects %s', (_what, doc) => {
    expect(() => parseXml(doc)).toThrow();
  });
});
