/** convert's note on a large .ckpt: MindSpore 2.10's load_checkpoint refuses one larger than the free memory. */
import { describe, expect, it } from 'vitest';
import { ckptNote } from '../../src/convert/convert.js';

describe('convert: a large .ckpt', () => {
  it('is named with its size and the way out (safetensors); a small one or a safetensors file is not', () => {
    const files = [{ path: 'm.py', bytes: 1000 }, { path: 'm.ckpt', bytes: 3 * 2 ** 30 }];
    expect(ckptNote(files, 'ckpt', 'm.ckpt')).toBe("m.ckpt is 3.00 GiB: MindSpore 2.10's load_checkpoint refuses a .ckpt larger than the free memory (page cache not counted); --format safetensors is read tensor by tensor");
    expect(ckptNote([{ path: 'm.ckpt', bytes: 2 ** 20 }], 'ckpt', 'm.ckpt')).toBeNull();
    expect(ckptNote([{ path: 'm.safetensors', bytes: 3 * 2 ** 30 }], 'safetensors', 'm.safetensors')).toBeNull();
  });
});
