import { renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { UsageError } from '../errors.js';

/** Write via a temp file in the same folder and rename, so a killed run never leaves half a report. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.msport-${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never created */ }
    throw new UsageError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
