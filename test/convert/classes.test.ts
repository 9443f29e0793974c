/** The port's classes: alike modules share one, differing only in numbers they take as constructor arguments. */
import { describe, expect, it } from 'vitest';
import { buildClasses, Instance } from '../../src/convert/classes.js';

const block = (scope: string, cin: number, cout: number, extra = ''): Instance => ({
  scope, base: 'BasicBlock', torchClass: 'torchvision.models.resnet.BasicBlock',
  init: [`self.conv1 = nn.Conv2d(${cin}, ${cout}, 3, padding=(1, 1, 2, 2))`, `self.bn1 = nn.BatchNorm2d(${cout})`, ...(extra ? [extra] : [])],
  construct: ['    def construct(self, x):', '        return self.bn1(self.conv1(x))'],
});

describe('buildClasses', () => {
  it('gives modules differing only in numbers one class with those numbers as arguments, named by what they build', () => {
    const { classes, build } = buildClasses([
      block('layer1.0', 64, 64), block('layer1.1', 64, 64), block('layer2.0', 64, 128, 'self.downsample = nn.Conv2d(64, 128, 1)'),
      block('layer2.1', 128, 128),
      { scope: '', base: 'ResNet', init: ['self.a = \u0000layer1.0\u0000', 'self.b = \u0000layer1.1\u0000', 'self.c = \u0000layer2.0\u0000', 'self.d = \u0000layer2.1\u0000'], construct: [] },
    ]);
    expect(classes.map(c => c.name)).toEqual(['BasicBlock', 'BasicBlock_2', 'ResNet']);
    // equal columns (conv1's in and out channels and bn1's features are all 64, then all 128) are one argument
    expect(classes[0]!.text).toContain('def __init__(self, conv1_in_channels):');
    expect(classes[0]!.text).toContain('self.conv1 = nn.Conv2d(conv1_in_channels, conv1_in_channels, 3, padding=(1, 1, 2, 2))');
    expect(classes[0]!.text).toContain('PyTorch modules `layer1.0`, `layer1.1`, `layer2.1` (torchvision.models.resnet.BasicBlock).');
    expect(build.get('layer1.0')).toBe('BasicBlock(64)');
    expect(build.get('layer2.1')).toBe('BasicBlock(128)');
    // a module with a branch the others lack is a class of its own, without arguments when it is the only one
    expect(build.get('layer2.0')).toBe('BasicBlock_2()');
    expect(classes[2]!.text).toContain('self.a = BasicBlock(64)\n        self.b = BasicBlock(64)\n        self.c = BasicBlock_2()\n        self.d = BasicBlock(128)');
  });

  it('names a number inside a tuple argument by the argument and its place', () => {
    const { classes } = buildClasses([
      { scope: 'a', base: 'Conv', init: ['self.conv = nn.Conv2d(8, 8, (1, 7), padding=(0, 0, 3, 3))'], construct: ['x'] },
      { scope: 'b', base: 'Conv', init: ['self.conv = nn.Conv2d(8, 8, (7, 1), padding=(3, 3, 0, 0))'], construct: ['x'] },
    ]);
    expect(classes[0]!.text).toContain('def __init__(self, conv_kernel_size_0, conv_kernel_size_1, conv_padding_0, conv_padding_2):');
  });

  it('keeps parents apart whose children are of different classes (a child class id is not a number)', () => {
    const se = (scope: string, bias: boolean): Instance => ({ scope, base: 'SE', torchClass: 'm.SE', init: [`self.fc1 = nn.Conv2d(8, 2, 1, has_bias=${bias ? 'True' : 'False'})`], construct: ['x'] });
    const parent = (scope: string): Instance => ({ scope, base: 'MB', torchClass: 'm.MB', init: [`self.se = \u0000${scope}.se\u0000`], construct: ['x'] });
    const { classes, build } = buildClasses([se('a.se', true), parent('a'), se('b.se', false), parent('b')]);
    expect(classes.map(c => c.name)).toEqual(['SE', 'MB', 'SE_2', 'MB_2']);
    expect(build.get('b')).toBe('MB_2()');
  });

  it('keeps modules of different recorded PyTorch classes apart even when their code is alike', () => {
    const a: Instance = { scope: 'a', base: 'Foo', torchClass: 'm.Foo', init: ['self.fc = nn.Dense(2, 2)'], construct: ['x'] };
    const b: Instance = { ...a, scope: 'b', base: 'Bar', torchClass: 'm.Bar' };
    expect(buildClasses([a, b]).classes.map(c => c.name)).toEqual(['Foo', 'Bar']);
  });
});
