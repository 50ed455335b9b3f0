/**
 * Name vocabularies shared by the seeded generators (legacy-customers, legacy-crm). The order of each list
 * is part of every generator's seeded output: append to a generator's own extension, never reorder these.
 */

/** First names, unicode included. */
export const FIRST_NAMES: readonly string[] = [
  'Ana',
  'José',
  'Zoë',
  'Liam',
  'Olivia',
  'Noah',
  'Mía',
  'Łukasz',
  'Søren',
  'Aiko',
  'Chloé',
  'Mohammed',
  'Wei',
  'Fatima',
  'Ivan',
  'Grace',
];

/** Last names, with apostrophes, spaces and unicode. */
export const LAST_NAMES: readonly string[] = [
  'García',
  'Smith',
  'Müller',
  "O'Brien",
  'Nguyen',
  'Kowalski',
  'Rossi',
  'Dubois',
  'Tanaka',
  'Johnson',
  'Silva',
  'Van der Berg',
  'Ødegaard',
  'Chen',
];
