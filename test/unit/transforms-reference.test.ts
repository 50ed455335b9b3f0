import Ajv2020 from 'ajv/dist/2020';
import { planJsonSchema } from '../../plan/schema';
import { transformReferenceInSync } from '../../scripts/generate/transforms-doc';
import {
  buildTransform,
  RecordRejection,
  renderTransformReference,
  TRANSFORM_REFERENCE_COMMAND,
  TRANSFORMS,
  transformJsonSchema,
  type TransformRun,
} from '../../plan/transforms';

/** Runs a reference example through the transform it documents. */
function runExample(name: string, run: TransformRun): unknown {
  const fn = buildTransform(run.args === undefined ? name : { [name]: run.args });
  const references = run.references ?? {};
  return fn(run.value, {
    record: run.record ?? {},
    resolveReference: (object, id) => {
      const targetId = references[`${object}/${id}`];
      return targetId === undefined ? { found: false } : { found: true, targetId };
    },
  });
}

const entries = Object.entries(TRANSFORMS).sort(([a], [b]) => a.localeCompare(b));

describe('the transform reference is data in the registry, and it is true', () => {
  it.each(entries)('%s documents its input, output and at least one example', (_name, definition) => {
    expect(definition.reference.input).not.toBe('');
    expect(definition.reference.examples.length).toBeGreaterThan(0);
    const codes = definition.reference.quarantines.map((q) => q.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it.each(entries.flatMap(([name, d]) => d.reference.examples.map((e) => [name, e] as const)))(
    '%s: example %j gives its stated result',
    (name, example) => {
      expect(runExample(name, example)).toEqual(example.result);
    },
  );

  it.each(entries.flatMap(([name, d]) => d.reference.quarantines.map((q) => [name, q.code, q.example] as const)))(
    '%s quarantines with %s on its stated example',
    (name, code, example) => {
      let rejection: unknown;
      try {
        runExample(name, example);
      } catch (err) {
        rejection = err;
      }
      expect(rejection).toBeInstanceOf(RecordRejection);
      expect((rejection as RecordRejection).code).toBe(code);
    },
  );
});

describe('docs/transforms.md', () => {
  it(`is generated from the registry and committed in sync (run ${TRANSFORM_REFERENCE_COMMAND} when this fails)`, async () => {
    if (!(await transformReferenceInSync()))
      throw new Error(
        `docs/transforms.md differs from the transform registry; run \`${TRANSFORM_REFERENCE_COMMAND}\` and commit it`,
      );
  });

  it('names every transform, its options, quarantine codes and examples', () => {
    const doc = renderTransformReference();
    for (const [name, definition] of entries) {
      expect(doc).toContain(`## ${name}\n`);
      for (const q of definition.reference.quarantines) expect(doc).toContain(`\`${q.code}\``);
    }
    expect(doc).toMatch(/\| `keepOffset` \| boolean \| `false` \|/);
    expect(doc).toMatch(/\| `length` \| integer ≥ 1 \| required \|/);
  });
});

describe('tern plan schema types transforms', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validatePlan = ajv.compile(planJsonSchema() as object);
  const planWith = (transform: unknown[]) => ({
    version: 1,
    name: 'typed transforms',
    source: { kind: 'csv', directory: 'data' },
    target: { kind: 'postgres', schema: 'target' },
    objects: [
      {
        name: 'contacts',
        source: { file: 'contacts.csv', id: 'id' },
        target: { table: 'contacts', key: 'id' },
        fields: [{ from: 'account_id', to: 'account_id', transform }],
      },
    ],
  });

  it('accepts built-in names, options and custom transforms', () => {
    const good = planWith([
      'trim',
      { reference: { object: 'accounts', onMissing: 'null' } },
      'integer',
      { datetime: { format: 'MM/dd/yyyy HH:mm:ss.u', zone: 'Europe/Paris', keepOffset: true } },
      { truncate: { length: 10 } },
      { default: 0 },
      'my_custom_transform',
      { my_custom_transform: { anything: true } },
    ]);
    expect(validatePlan(good)).toBe(true);
  });

  it.each([
    ['an unknown option', { truncate: { lenght: 10 } }],
    ['an option of the wrong type', { truncate: { length: 'ten' } }],
    ['a value outside an enum', { currency: { onInvalid: 'drop' } }],
    ['a required option left out', { reference: { onMissing: 'null' } }],
    ['a transform that needs options written bare', 'reference'],
    ['options for a transform that takes none', { trim: { both: true } }],
    ['two transforms in one entry', { trim: {}, lowercase: {} }],
  ])('refuses %s', (_what, transform) => {
    expect(validatePlan(planWith([transform]))).toBe(false);
  });

  it('offers every built-in transform by name for completion, with its options when it takes some', () => {
    const { anyOf } = transformJsonSchema() as { anyOf: { enum?: string[]; title?: string }[] };
    const offered = new Set([...(anyOf[0]!.enum ?? []), ...anyOf.map((entry) => entry.title)]);
    const missing = entries.map(([name]) => name).filter((name) => !offered.has(name));
    expect(missing).toEqual([]);
    const titled = anyOf.filter((entry) => entry.title !== undefined).map((entry) => entry.title);
    expect(titled).toEqual(entries.filter(([, d]) => d.args !== undefined).map(([name]) => name));
  });
});
