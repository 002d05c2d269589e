import { expect } from 'chai';
import { canonicalJson, payloadHash } from '../../../../lib/domain/payloadHash';

describe('payloadHash', () => {
  it('gives the same hash for the same payload with keys in a different order', () => {
    const a = payloadHash({ sku: 'A1', qty: 2, note: 'x' });
    const b = payloadHash({ note: 'x', qty: 2, sku: 'A1' });

    expect(a).to.equal(b);
  });

  it('gives the same hash when only the key order of nested objects differs', () => {
    const a = payloadHash({ order: { id: 7, lines: [{ sku: 'A', qty: 1 }] }, meta: { z: 1, a: 2 } });
    const b = payloadHash({ meta: { a: 2, z: 1 }, order: { lines: [{ qty: 1, sku: 'A' }], id: 7 } });

    expect(a).to.equal(b);
  });

  it('gives the same hash every time for the same payload', () => {
    const payload = { a: [1, 'two', null, true, { b: 3.5 }] };

    expect(payloadHash(payload)).to.equal(payloadHash(structuredClone(payload)));
  });

  const different: [string, unknown, unknown][] = [
    ['a different value', { qty: 2 }, { qty: 3 }],
    ['a number versus the same digits as a string', { qty: 2 }, { qty: '2' }],
    ['null versus a missing key', { a: null }, {}],
    ['a different key', { a: 1 }, { b: 1 }],
    ['a different nested value', { o: { p: { q: 1 } } }, { o: { p: { q: 2 } } }],
    ['an extra key', { a: 1 }, { a: 1, b: 1 }],
    ['an empty object versus an empty array', { a: {} }, { a: [] }],
    ['a key containing a separator versus two keys', { 'a":1,"b': 1 }, { a: 1, b: 1 }],
  ];
  for (const [what, a, b] of different) {
    it(`gives a different hash for ${what}`, () => {
      expect(payloadHash(a)).not.to.equal(payloadHash(b));
    });
  }

  it('is sensitive to the order of array elements', () => {
    const a = payloadHash({ steps: [1, 2, 3] });
    const b = payloadHash({ steps: [3, 2, 1] });

    expect(a).not.to.equal(b);
  });

  it('is a URL-safe base64 SHA-256 digest (43 characters)', () => {
    const hash = payloadHash({ a: 1 });

    expect(hash).to.match(/^[A-Za-z0-9_-]{43}$/);
  });

  it('serialises canonically: keys sorted at every level, arrays kept in order', () => {
    const json = canonicalJson({ b: [{ d: 1, c: 2 }, 'x'], a: 'é' });

    expect(json).to.equal('{"a":"é","b":[{"c":2,"d":1},"x"]}');
  });
});
