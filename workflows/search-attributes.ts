import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

/** The search attributes every Tern workflow carries (registered by `tern stack`): the UI filters on them. */
export const searchAttributes = {
  MigrationId: defineSearchAttributeKey('MigrationId', SearchAttributeType.KEYWORD),
  Phase: defineSearchAttributeKey('Phase', SearchAttributeType.KEYWORD),
  Source: defineSearchAttributeKey('Source', SearchAttributeType.KEYWORD),
  Target: defineSearchAttributeKey('Target', SearchAttributeType.KEYWORD),
};

/** A migration's workflow's attributes: which migration, which phase (or `cutover`), from what source into what target. */
export function migrationSearchAttributes(run: {
  migrationId: string;
  phase: string;
  sourceKind: string;
  targetKind: string;
}): SearchAttributePair[] {
  return [
    { key: searchAttributes.MigrationId, value: run.migrationId },
    { key: searchAttributes.Phase, value: run.phase },
    { key: searchAttributes.Source, value: run.sourceKind },
    { key: searchAttributes.Target, value: run.targetKind },
  ];
}
