import type { GoldColumn } from '../plan/gold';
import type { RecordMapper } from '../plan/compile';
import { columnRejection, type Rejection } from '../plan/target-check';
import { textOf } from '../plan/text';
import type { TransformContext } from '../plan/transforms';

/** A staged record to map. */
export interface StagedInput {
  sourceId: string;
  raw: Record<string, unknown>;
}

export interface MappedRecord extends StagedInput {
  payload: Record<string, unknown>;
}

/** Why a record cannot be written: quarantined at the `map` stage with this reason. */
export interface MapRejection {
  sourceId: string;
  raw: Record<string, unknown>;
  code: string;
  field: string | null;
  message: string;
  /** Set when pre-flight refused the record (what the target would refuse): the value and the fix, for reports. */
  preflight?: Rejection;
}

export interface MapPageOptions {
  mapper: RecordMapper;
  resolveReference: TransformContext['resolveReference'];
  /** The frozen gold schema's columns of the target (empty: the target decides alone). */
  columns: readonly GoldColumn[];
  /** The payload field that identifies the record in the target. */
  keyField: string;
  /** Whether the key must carry the source id (tables, Attio's key attribute). */
  keyIsSourceId: boolean;
}

/**
 * Maps a page of staged records (pure): the plan's mapper, then what the gold schema says the target would
 * refuse (pre-flight), then the key the write protocol looks records up by. Every record ends up either mapped
 * or rejected with its reason; none is dropped. The load and the dry run both decide through this function,
 * with options built by `activities/map-options.ts`, so a prediction is the load's own decision.
 */
export function mapPage(
  records: readonly StagedInput[],
  options: MapPageOptions,
): { mapped: MappedRecord[]; rejected: MapRejection[] } {
  const mapped: MappedRecord[] = [];
  const rejected: MapRejection[] = [];
  for (const { sourceId, raw } of records) {
    const result = options.mapper(raw, options.resolveReference);
    if (!result.ok) {
      rejected.push({ sourceId, raw, code: result.code, field: result.field, message: result.message });
      continue;
    }
    const refused = columnRejection(result.payload, options.columns);
    if (refused) {
      rejected.push({
        sourceId,
        raw,
        code: refused.code,
        field: refused.field,
        message: refused.message,
        preflight: refused,
      });
      continue;
    }
    const key = result.payload[options.keyField];
    const empty = key === null || key === undefined || textOf(key).trim() === '';
    if (empty || (options.keyIsSourceId && textOf(key) !== sourceId)) {
      rejected.push({
        sourceId,
        raw,
        code: 'key_mismatch',
        field: options.keyField,
        message: options.keyIsSourceId
          ? `${options.keyField} must carry the source id ${sourceId}, got ${empty ? 'nothing' : textOf(key)}`
          : `${options.keyField} is the record's external id in the target and must not be empty`,
      });
      continue;
    }
    mapped.push({ sourceId, raw, payload: result.payload });
  }
  return { mapped, rejected };
}
