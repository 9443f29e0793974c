/** Progress lines: TTY only, never with --quiet, overwritten in place, never wider than the terminal. */
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';

const fake = (isTTY: boolean, columns = 80) => {
  const out: string[] = [];
  return { out, stream: { isTTY, columns, write: (s: string) => { out.push(s); return true; } } };
};

describe('createProgress', () => {
  it('writes nothing when stderr is not a terminal, or with --quiet', () => {
    for (const [tty, quiet] of [[false, false], [true, true], [false, true]] as const) {
      const { out, stream } = fake(tty);
      const p = createProgress({ quiet, stream });
      expect(p.enabled).toBe(false);
      p.start(1, 2, 'a.onnx'); p.clear(); p.done();
      expect(out).toEqual([]);
    }
  });

  it('on a terminal: one line per model, each erasing the last, erased at the end', () => {
    const { out, stream } = fake(true);
    const p = createProgress({ stream });
    expect(p.enabled).toBe(true);
    p.start(3, 12, 'zoo/resnet18.onnx');
    p.start(4, 12, 'zoo/vgg.onnx');
    p.clear();
    p.clear(); // nothing shown: nothing to erase
    p.done();
    p.start(5, 12, 'late.onnx'); // after done: ignored
    expect(out).toEqual(['\r\x1b[2K[3/12] zoo/resnet18.onnx …', '\r\x1b[2K[4/12] zoo/vgg.onnx …', '\r\x1b[2K']);
  });

  it('keeps the end of long paths within the terminal width, and neutralises control characters', () => {
    const { out, stream } = fake(true, 30);
    const p = createProgress({ stream });
    p.start(1, 1, 'very/long/folder/name/that/goes/on/model.onnx');
    const line = out[0]!.replace('\r\x1b[2K', '');
    expect(line.length).toBeLessThanOrEqual(29);
    expect(line).toMatch(/^\[1\/1\] ….*model\.onnx …$/);
    p.start(1, 1, 'evil\x1b[31m\nname.onnx');
    expect(out[1]).toBe('\r\x1b[2K[1/1] evil?[31m?name.onnx …');
  });

  it('defaults to process.stderr', () => {
    const p = createProgress({ quiet: true });
    expect(p.enabled).toBe(false);
  });
});
