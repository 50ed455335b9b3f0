/**
 * The transform library's public entry: everything the rest of Tern imports about transforms. The code lives
 * in plan/transforms/, one file per concern (core conventions, text, numbers, dates, lists, lookups, record
 * fields, the registry, descriptions and output kinds).
 */
export {
  quoteValue,
  RecordRejection,
  type TransformContext,
  type TransformDefinition,
  type TransformFn,
  type TransformReference,
  type TransformRun,
} from './transforms/core';
export { assertFaithfulText, unfaithfulTextReason } from './transforms/faithful-text';
export { DATE_FORMATS, isAmbiguousDate, parseDate, type DateFormat } from './transforms/dates';
export { describeTransform, transformOutputKind, type TransformOutputKind } from './transforms/describe';
export { optionsJsonSchema, transformJsonSchema } from './transforms/json-schema';
export { splitList } from './transforms/lists';
export { picklistCoverage, type PicklistArgs } from './transforms/lookups';
export { parseTemplate } from './transforms/records';
export { renderTransformReference, TRANSFORM_REFERENCE_COMMAND } from './transforms/reference-doc';
export {
  buildTransform,
  composeTransforms,
  standaloneContext,
  TRANSFORM_NAMES,
  TRANSFORMS,
  transformArgs,
  transformName,
  type TransformSpec,
} from './transforms/registry';
export { domainOf, titleCase } from './transforms/text';
