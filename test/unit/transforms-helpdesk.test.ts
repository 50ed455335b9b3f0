import { fieldMappingSchema } from '../../plan/schema';
import {
  composeTransforms,
  describeTransform,
  standaloneContext,
  transformOutputKind,
  type TransformSpec,
} from '../../plan/transforms';

const run = (specs: TransformSpec[], value: unknown, record: Record<string, unknown> = {}) =>
  composeTransforms(specs)(value, standaloneContext(record));

/** The plan errors of one transform, as plan loading reports them. */
const planErrors = (spec: TransformSpec): string[] => {
  const parsed = fieldMappingSchema.safeParse({ from: 'body', to: 'body', transform: [spec] });
  return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
};

describe('replace', () => {
  const ticket = { product_purchased: 'GoPro Hero', customer_name: 'Ada', empty: '  ' };

  it('replaces a placeholder by another field of the record, every occurrence', () => {
    const spec = { replace: { find: '{product_purchased}', with: '{product_purchased}' } };
    expect(
      run([spec], "I'm having an issue with the {product_purchased}. The {product_purchased} stops.", ticket),
    ).toBe("I'm having an issue with the GoPro Hero. The GoPro Hero stops.");
  });

  it('replaces literal text with literal text; braces are written doubled', () => {
    expect(run([{ replace: { find: 'a.b', with: '{{x}}' } }], 'a.b axb a.b')).toBe('{x} axb {x}');
  });

  it('inserts nothing for a blank field', () => {
    expect(run([{ replace: { find: '[x]', with: '<{empty}>' } }], 'a [x] b', ticket)).toBe('a <> b');
  });

  it('replaces regular expression matches, with capture groups as {$n}', () => {
    const spec = { replace: { pattern: 'order #(\\d+)', ignoreCase: true, with: 'order {$1} of {customer_name}' } };
    expect(run([spec], 'Order #42 and ORDER #7', ticket)).toBe('order 42 of Ada and order 7 of Ada');
  });

  it('treats regex characters in find literally, and $ in with literally', () => {
    expect(run([{ replace: { find: '(a+)+', with: '$1 $&' } }], 'x (a+)+ y')).toBe('x $1 $& y');
  });

  it('applies to each element of a list and passes blanks through', () => {
    expect(run(['split', { replace: { find: '-', with: '_' } }], 'a-b, c-d')).toEqual(['a_b', 'c_d']);
    expect(run([{ replace: { find: 'x', with: 'y' } }], null)).toBeNull();
  });

  it('produces text', () => {
    expect(transformOutputKind([{ replace: { find: 'x', with: 'y' } }])).toBe('text');
  });

  it('describes itself in plan reports', () => {
    expect(describeTransform({ replace: { find: '{product}', with: '{product_purchased}' } })).toBe(
      'replace("{product}"→"{product_purchased}")',
    );
    expect(describeTransform({ replace: { pattern: '#(\\d+)', ignoreCase: true, with: 'n{$1}' } })).toBe(
      'replace(/#(\\d+)/i→"n{$1}")',
    );
  });

  it.each([
    [{ replace: { with: 'y' } }, /replace: name exactly one of find \(literal text\) or pattern/],
    [{ replace: { find: 'x', pattern: 'x', with: 'y' } }, /replace: name exactly one of find/],
    [{ replace: { pattern: '(unclosed', with: 'y' } }, /^replace\.pattern: is not a valid regular expression/],
    [{ replace: { pattern: '(a+)+$', with: 'y' } }, /^replace\.pattern: .*catastrophic/],
    [{ replace: { pattern: 'x*', with: 'y' } }, /^replace\.pattern: matches empty text/],
    [{ replace: { find: 'x', with: '{unclosed' } }, /^replace\.with: the "\{" at position 1 is not closed/],
    [{ replace: { find: 'x', with: 'group {$1}' } }, /^replace\.with: \{\$1\} needs pattern/],
    [
      { replace: { pattern: '(a)', with: '{$2}' } },
      /^replace\.with: \{\$2\} names capture group 2, but the pattern has 1/,
    ],
    [{ replace: { find: 'x', with: 'y', ignoreCase: true } }, /^replace\.ignoreCase: .*only with pattern/],
  ])('refuses %j at plan load, naming the option', (spec, message) => {
    const errors = planErrors(spec);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(message);
  });

  it('accepts a sound plan', () => {
    expect(planErrors({ replace: { pattern: '\\{(\\w+)\\}', with: '[{$1}]' } })).toEqual([]);
  });
});

describe('text_to_html', () => {
  it('escapes markup, turns blank lines into paragraphs and single newlines into <br>', () => {
    const body = 'Hello <b>team</b> & "all",\r\nsecond line\n\n\n  \nNew paragraph\rwith \'quotes\'';
    expect(run(['text_to_html'], body)).toBe(
      '<p>Hello &lt;b&gt;team&lt;/b&gt; &amp; &quot;all&quot;,<br>\nsecond line</p>\n<p>New paragraph<br>\nwith &#39;quotes&#39;</p>',
    );
  });

  it('keeps the text of every line (inner spaces included), dropping only blank lines at the edges', () => {
    expect(run(['text_to_html'], '\n\n  two  spaces  \n\n')).toBe('<p>  two  spaces  </p>');
  });

  it('passes blanks through as null and produces text', () => {
    expect(run(['text_to_html'], '   ')).toBeNull();
    expect(transformOutputKind(['text_to_html'])).toBe('text');
  });

  it('handles a very long body in linear time without a regex over it', () => {
    const body = `${'line\n'.repeat(50_000)}\n\n${'x'.repeat(100_000)}`;
    const html = run(['text_to_html'], body) as string;
    expect(html.startsWith('<p>line<br>\nline')).toBe(true);
    expect(html.endsWith(`<p>${'x'.repeat(100_000)}</p>`)).toBe(true);
  });
});
