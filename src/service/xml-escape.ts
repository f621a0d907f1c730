import { TickdbError } from '../errors.js';

/** Characters XML 1.0 cannot carry at all (everything below U+0020 except tab, LF and CR). */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

/** Escapes text for a double-quoted attribute value (and, safely, anywhere else). */
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

/** Escapes character data of an element: only `&`, `<` and `>`, so that quotes stay readable. */
export function xmlText(value: string): string {
  return xmlEscape(value).replace(/&quot;|&apos;/g, (e) => (e === '&quot;' ? '"' : "'"));
}
