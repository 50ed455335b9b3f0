import { createHash } from 'node:crypto';
import { idsDigest } from '../../staging/custody';

describe('the digest of the source ids an action touched', () => {
  it('is the sha256 of the JSON array of the ids, sorted', () => {
    expect(idsDigest(['b', 'a'])).toBe(createHash('sha256').update('["a","b"]').digest('hex'));
    expect(idsDigest([])).toBe(createHash('sha256').update('[]').digest('hex'));
  });

  it('is the same for the same set in any order, and differs when one id differs', () => {
    const ids = ['C000010', 'C000002', 'C000001', 'ünïcode id', ''];
    expect(idsDigest([...ids].reverse())).toBe(idsDigest(ids));
    expect(idsDigest(['C000010', 'C000002', 'C000001', 'ünïcode id', 'x'])).not.toBe(idsDigest(ids));
  });

  it('tells ids apart however they are split (an id never runs into the next)', () => {
    expect(idsDigest(['ab'])).not.toBe(idsDigest(['a', 'b']));
    expect(idsDigest(['a', 'b'])).not.toBe(idsDigest(['a\nb']));
    expect(idsDigest(['a","b'])).not.toBe(idsDigest(['a', 'b']));
  });
});
