/** Writes docs/transforms.md from the transform registry (`npm run docs:transforms`). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { renderTransformReference } from '../../plan/transforms/reference-doc';

export const TRANSFORM_REFERENCE_FILE = join(__dirname, '..', '..', 'docs', 'transforms.md');

/** The file's content: the registry's reference, formatted as the repository formats markdown. */
export async function transformReferenceFile(): Promise<string> {
  const options = (await resolveConfig(TRANSFORM_REFERENCE_FILE)) ?? {};
  return format(renderTransformReference(), { ...options, filepath: TRANSFORM_REFERENCE_FILE });
}

/** Whether the committed file is what the registry renders. */
export async function transformReferenceInSync(): Promise<boolean> {
  return readFileSync(TRANSFORM_REFERENCE_FILE, 'utf8') === (await transformReferenceFile());
}

if (require.main === module) {
  void transformReferenceFile().then((text) => {
    writeFileSync(TRANSFORM_REFERENCE_FILE, text);
    console.log(`wrote ${TRANSFORM_REFERENCE_FILE}`);
  });
}
