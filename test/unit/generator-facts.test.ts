import { argValue, countOutcomes, outcomeLine } from '../../scripts/generate/facts';

describe("the legacy generators' shared facts", () => {
  it('count every outcome once: loaded and deduplicated by kind, filtered and quarantined by reason', () => {
    const expected = countOutcomes([
      { kind: 'loaded' },
      { kind: 'quarantined', reason: 'orphan_reference' },
      { kind: 'filtered', reason: 'test-accounts' },
      { kind: 'loaded' },
      { kind: 'deduplicated' },
      { kind: 'quarantined', reason: 'orphan_reference' },
      { kind: 'quarantined', reason: 'invalid_email' },
    ]);
    expect(expected).toEqual({
      loaded: 2,
      deduplicated: 1,
      filtered: { 'test-accounts': 1 },
      quarantined: { orphan_reference: 2, invalid_email: 1 },
    });
  });

  it("print an object's line with every term, deduplicated only when there are any", () => {
    const line = outcomeLine(
      'customers',
      10,
      93,
      5,
      countOutcomes([{ kind: 'loaded' }, { kind: 'filtered', reason: 'x' }]),
    );
    expect(line).toBe('  customers     93 rows: 1 loaded, 1 filtered (x)');
  });

  it('read the value after a --name, undefined when the name is absent or last', () => {
    expect(argValue(['--schema', 'legacy', '--seed', '7'], 'seed')).toBe('7');
    expect(argValue(['--schema', 'legacy'], 'facts')).toBeUndefined();
    expect(argValue(['--facts'], 'facts')).toBeUndefined();
  });
});
