/**
 * vitest globalSetup: every temporary folder the tests (and the processes they start) make goes under one fresh folder,
 * removed when the run ends, so a test run leaves nothing in the system's temp folder. `os.tmpdir()` follows TMPDIR,
 * which the workers and child processes inherit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'msport-test-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = before;
    // read-only files (the checkpoint tests make some) go too
    rmSync(root, { recursive: true, force: true });
  };
}
