import fs from 'node:fs';
import { SourceFileError } from '../common/errors';

/**
 * Throws a SourceFileError naming the path (`source file <file> does not exist`, `… is a directory`, …) when
 * the file cannot be read; `fix` is the hint, which names where the plan sets the file for this kind of source.
 */
export async function assertReadableFile(file: string, fix: string): Promise<void> {
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    await fs.promises.access(file, fs.constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'is not readable (permission denied)'
          : code === 'EISDIR'
            ? 'is a directory'
            : `cannot be read (${code ?? String(err)})`;
    throw new SourceFileError(`source file ${file} ${why}`, fix);
  }
}
