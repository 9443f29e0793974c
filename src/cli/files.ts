import { existsSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/** Write via a temp file in the same folder and rename, so a killed run never leaves half a report. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.msport-${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never created */ }
    const code = (e as NodeJS.ErrnoException).code;
    // say what is wrong in words: the folder that does not exist, the place that cannot be written
    const why = code === 'ENOENT' && !existsSync(dirname(resolve(path))) ? `the folder ${dirname(resolve(path))} does not exist`
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : code ?? (e as Error).message;
    throw new UsageError(`cannot write ${path}: ${why}`);
  }
}
