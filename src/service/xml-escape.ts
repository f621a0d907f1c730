import { TickdbError } from '../errors.js';

/** Characters XML 1.0 cannot carry at all (everything below U+0020 except tab, LF and CR). */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

/** Escapes text for an XML element or a double-quoted attribute value. */
export function xmlEscape(value: string): string {
  if (NOT_XML.test(value)) {
    throw new TickdbError('USAGE', `cannot write ${JSON.stringify(value)} into XML: it holds a control character`, {
      hint: 'use a value without control characters',
    });
  }
  return value.replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&apos;';
    }
  });
}
