import fc from 'fast-check';

/**
 * Characters where encodings and emulators break: C0 controls, DEL, the ends of the ranges SQS
 * allows (#xD7FF, #xE000, #xFFFD), the two it refuses (#xFFFE, #xFFFF), line and paragraph
 * separators, a BOM, combining marks, and the astral planes (emoji, U+10000, U+10FFFF).
 */
export const EDGE_CHARACTERS: readonly string[] = [
  '\u0000',
  '\u0001',
  '\u0008',
  '\u000b',
  '\u000c',
  '\u001f',
  '\u007f',
  '\u0080',
  '\u00ff',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\u0301',
  '\ud7ff',
  '\ue000',
  '\ufffd',
  '\ufffe',
  '\uffff',
  '\u{10000}',
  '\u{1f600}',
  '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}',
  '\u{10ffff}',
  '"',
  '\\',
  '/',
];

/** One unit of a generated string: mostly any code point, often an edge character. */
export const edgeUnit: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...EDGE_CHARACTERS), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 2 },
);

/** Strings of any well-formed Unicode, biased to the edge characters. */
export const edgeString = (maxLength = 12): fc.Arbitrary<string> => fc.string({ unit: edgeUnit, maxLength });

/** JSON objects as a client could send them: any keys and strings (edge-biased), numbers, nesting. */
export const payloadArbitrary: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  edgeString(6),
  fc.jsonValue({ stringUnit: edgeUnit, maxDepth: 4 }),
  { maxKeys: 6 },
);

/** Characters SQS accepts in a message body (its documented set). */
export const SQS_BODY_CHARACTERS = /^[\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;
