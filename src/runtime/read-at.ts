/** Reading a range of an open file whole (readSync may return less than asked, and at most 2 GiB per call). */
import { closeSync, openSync, readSync } from 'node:fs';

/** Fill `into` from the file `fd` at `position`; returns the bytes read, fewer than `into.length` where the file ends. */
export function readAt(fd: number, into: Uint8Array, position: number): number {
  let off = 0;
  while (off < into.length) {
    const n = readSync(fd, into, off, Math.min(into.length - off, 1 << 30), position + off);
    if (n === 0) break;
    off += n;
  }
  return off;
}

/** `length` bytes of `file` from `offset`, in a buffer of their own (not Node's pool: aligned views, freed with it). */
export function readFileRange(file: string, offset: number, length: number): Uint8Array {
  const buf = Buffer.allocUnsafeSlow(length);
  const fd = openSync(file, 'r');
  try {
    const got = readAt(fd, buf, offset);
    if (got < length) throw new Error(`${file} ended at ${offset + got} of ${offset + length} bytes`);
  } finally { closeSync(fd); }
  return new Uint8Array(buf.buffer, buf.byteOffset, length);
}
