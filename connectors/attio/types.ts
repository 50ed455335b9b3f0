import { z } from 'zod';

/**
 * Attio's answers as Tern reads them, validated here and nowhere else (https://docs.attio.com/rest-api/overview).
 * Each schema names only the fields Tern uses; Attio's other fields pass through unread.
 */

/** An answer holding one item (`{ data: {…} }`). */
export const attioOne = <T extends z.ZodType>(item: T) => z.object({ data: item });

/** An answer holding a list (`{ data: […] }`). */
export const attioList = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item) });

/** https://docs.attio.com/docs/attribute-types */
export const ATTIO_TYPES = [
  'text',
  'number',
  'checkbox',
  'currency',
  'date',
  'timestamp',
  'rating',
  'status',
  'select',
  'record-reference',
  'actor-reference',
  'location',
  'domain',
  'email-address',
  'phone-number',
  'interaction',
  'personal-name',
] as const;
export type AttioType = (typeof ATTIO_TYPES)[number];

export const objectSchema = z.object({ id: z.object({ object_id: z.string() }), api_slug: z.string() });

export const attributeSchema = z.object({
  title: z.string(),
  api_slug: z.string(),
  // A type Attio adds later is written and read as text, as every type Tern has no rule for is.
  type: z.enum(ATTIO_TYPES).catch('text'),
  is_unique: z.boolean(),
  is_required: z.boolean(),
  is_multiselect: z.boolean(),
  is_writable: z.boolean().optional(),
  is_archived: z.boolean().optional(),
  config: z
    .object({
      // Record references: the objects a value may point at, by id (null for other types).
      record_reference: z.object({ allowed_object_ids: z.array(z.string()).nullish() }).nullish(),
    })
    .nullish(),
});
export type AttioAttributeBody = z.infer<typeof attributeSchema>;

/** A select option or a status: the id is `option_id` for the one, `status_id` for the other. */
export const optionSchema = z.object({
  id: z.object({ option_id: z.string().optional(), status_id: z.string().optional() }),
  title: z.string(),
  is_archived: z.boolean(),
});
export type AttioOptionBody = z.infer<typeof optionSchema>;

/** One stored value of an attribute; its fields depend on the attribute's type (read in `values.ts`). */
export const valueSchema = z.record(z.string(), z.unknown());
export type AttioValue = z.infer<typeof valueSchema>;

export const recordSchema = z.object({
  id: z.object({ record_id: z.string() }),
  values: z.record(z.string(), z.array(valueSchema)),
});
export type AttioRecordBody = z.infer<typeof recordSchema>;

/** A written record: only its id is read. */
export const writtenRecordSchema = z.object({ id: z.object({ record_id: z.string() }) });
