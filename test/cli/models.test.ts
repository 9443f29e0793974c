/** Model arguments: files, folders (recursive, sorted), globs, and errors that name the argument. */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandModelArgs, matchGlob, matchSegment } from '../../src/cli/models.js';

let root: string;
const touch = (p: string) => { mkdirSync(join(root, p, '..'), { recursive: true }); writeFileSync(join(root, p), 'x'); };

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'msport-models-'));
  for (const f of ['a.onnx', 'b.onnx', 'notes.txt', 'zoo/resnet18.onnx', 'zoo/resnet18.bn.onnx', 'zoo/vgg/vgg11.onnx', 'zoo/vgg/readme.md',
    'zoo/.cache/hidden.onnx', 'zoo/Upper.ONNX', 'weird*.onnx', 'other/c.onnx']) touch(f);
  mkdirSync(join(root, 'empty'));
  symlinkSync(join(root, 'zoo'), join(root, 'other', 'loop')); // a folder symlink is not descended into
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('expandModelArgs', () => {
  it('a file is taken as given, whatever its extension', () => {
    expect(expandModelArgs(['a.onnx', 'notes.txt'], root)).toEqual({ files: ['a.onnx', 'notes.txt'], errors: [] });
  });

  it('a folder gives every .onnx below it, recursively and sorted, skipping hidden folders', () => {
    expect(expandModelArgs(['zoo'], root).files).toEqual(['zoo/Upper.ONNX', 'zoo/resnet18.bn.onnx', 'zoo/resnet18.onnx', 'zoo/vgg/vgg11.onnx']);
    expect(expandModelArgs(['./zoo/'], root).files).toEqual(['zoo/Upper.ONNX', 'zoo/resnet18.bn.onnx', 'zoo/resnet18.onnx', 'zoo/vgg/vgg11.onnx']);
    expect(expandModelArgs(['other'], root).files).toEqual(['other/c.onnx']);
  });

  it('globs: *, ? and ** (zero or more folders)', () => {
    expect(expandModelArgs(['*.onnx'], root).files).toEqual(['a.onnx', 'b.onnx', 'weird*.onnx']);
    expect(expandModelArgs(['zoo/*.bn.onnx'], root).files).toEqual(['zoo/resnet18.bn.onnx']);
    expect(expandModelArgs(['?.onnx'], root).files).toEqual(['a.onnx', 'b.onnx']);
    expect(expandModelArgs(['zoo/**/*.onnx'], root).files).toEqual(['zoo/resnet18.bn.onnx', 'zoo/resnet18.onnx', 'zoo/vgg/vgg11.onnx']);
    expect(expandModelArgs(['**/vgg11.onnx'], root).files).toEqual(['zoo/vgg/vgg11.onnx']);
    expect(expandModelArgs(['z?o/v*/vgg11.onnx'], root).files).toEqual(['zoo/vgg/vgg11.onnx']);
  });

  it('a glob that matches a folder expands it like a folder argument (as the shell would hand it over)', () => {
    expect(expandModelArgs(['zo*'], root).files).toEqual(['zoo/Upper.ONNX', 'zoo/resnet18.bn.onnx', 'zoo/resnet18.onnx', 'zoo/vgg/vgg11.onnx']);
  });

  it('hidden entries are matched only by a pattern that names the dot', () => {
    expect(expandModelArgs(['zoo/*/hidden.onnx'], root).errors).toEqual(['no files match zoo/*/hidden.onnx']);
    expect(expandModelArgs(['zoo/.cache/*.onnx'], root).files).toEqual(['zoo/.cache/hidden.onnx']);
  });

  it('an existing path is never read as a glob', () => {
    expect(expandModelArgs(['weird*.onnx'], root).files).toEqual(['weird*.onnx']);
  });

  it('absolute arguments stay absolute', () => {
    expect(expandModelArgs([join(root, 'zoo', 'vgg')], '/').files).toEqual([join(root, 'zoo/vgg/vgg11.onnx')]);
    expect(expandModelArgs([`${root}/zoo/*.bn.onnx`], '/').files).toEqual([`${root}/zoo/resnet18.bn.onnx`]);
  });

  it('keeps argument order and drops duplicates', () => {
    expect(expandModelArgs(['b.onnx', '*.onnx', './a.onnx', join(root, 'b.onnx')], root).files).toEqual(['b.onnx', 'a.onnx', 'weird*.onnx']);
  });

  it('reports missing paths, empty folders and empty matches by argument, and still expands the rest', () => {
    const r = expandModelArgs(['nope.onnx', 'empty', 'zoo/*.tflite', 'a.onnx', 'nodir/**/*.onnx', ''], root);
    expect(r.files).toEqual(['a.onnx']);
    expect(r.errors).toEqual([
      'model file or folder not found: nope.onnx',
      'no .onnx files in folder empty',
      'no files match zoo/*.tflite',
      'no files match nodir/**/*.onnx',
      "empty model argument ''",
    ]);
  });
});

describe('matchGlob', () => {
  it('matches whole segments; ** spans folders; wildcards skip dotfiles', () => {
    expect(matchGlob('a/*.onnx', 'a/x.onnx')).toBe(true);
    expect(matchGlob('a/*.onnx', 'a/b/x.onnx')).toBe(false);
    expect(matchGlob('a/**/*.onnx', 'a/x.onnx')).toBe(true);
    expect(matchGlob('a/**/*.onnx', 'a/b/c/x.onnx')).toBe(true);
    expect(matchGlob('/r/**', '/r/b/c')).toBe(true);
    expect(matchGlob('*.onnx', '.x.onnx')).toBe(false);
    expect(matchGlob('.*.onnx', '.x.onnx')).toBe(true);
    expect(matchGlob('a/?.onnx', 'a/xy.onnx')).toBe(false);
    expect(matchGlob('a+b(1)/[x].onnx', 'a+b(1)/[x].onnx')).toBe(true);
  });

  it('does not blow up on many stars', () => {
    const t0 = Date.now();
    expect(matchGlob('**/**/**/**/**/**/**/**/**/**/z', 'a/'.repeat(40) + 'y')).toBe(false);
    expect(matchSegment('*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(3000))).toBe(false);
    expect(matchSegment('*a*?*b', 'xxaxyb')).toBe(true);
    expect(matchSegment('a*', 'a')).toBe(true);
    expect(matchSegment('*', '')).toBe(true);
    expect(matchSegment('?', '')).toBe(false);
    expect(Date.now() - t0).toBeLessThan(500);
  });
});
