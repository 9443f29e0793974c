/**
 * One emitter: every layer Cell class writes its own MindSpore and PyTorch calls (`emitCall`, beside the class), and
 * every Cell the importer builds from the committed fixtures is written as a call — never a repr, never `?`.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as nn from '../../src/runtime/nn/index.js';
import { Cell } from '../../src/runtime/cell.js';
import { importModel } from '../../src/onnx/import.js';
import { modelFromFile } from '../../src/onnx/proto.js';
import { ScopeCell, OnnxNetwork } from '../../src/onnx/network.js';
import { callOf } from '../../src/report/calls.js';

/** Cells that are not layers a model is built from: containers, losses, training wrappers. */
const NOT_LAYERS = new Set(['Cell', 'SequentialCell', 'CellList', 'LossBase', 'MSELoss', 'BCEWithLogitsLoss', 'SoftmaxCrossEntropyWithLogits',
  'CrossEntropyLoss', 'WithLossCell', 'TrainOneStepCell', 'Optimizer', 'SGD', 'Momentum', 'Adam']);

const onnxFiles = (dir: string): string[] => readdirSync(dir).flatMap(f => {
  const p = join(dir, f);
  return statSync(p).isDirectory() ? onnxFiles(p) : f.endsWith('.onnx') ? [p] : [];
});

describe('emitCall', () => {
  it('every layer Cell class of the runtime writes its own call', () => {
    const layers = Object.entries(nn).filter(([k, v]) => typeof v === 'function' && v.prototype instanceof Cell && !NOT_LAYERS.has(k));
    expect(layers.length).toBeGreaterThan(30);
    for (const [name, C] of layers) expect(C.prototype.emitCall, name).not.toBe(Cell.prototype.emitCall);
  });

  it('a call is Python: values quoted, defaults left out, MindSpore and PyTorch names', () => {
    const conv = new nn.Conv2d(3, 8, 3, { padMode: 'pad', padding: 1, hasBias: false });
    expect(callOf(conv)).toMatchObject({ ms: "nn.Conv2d(3, 8, 3, pad_mode='pad', padding=1, has_bias=False)", torch: 'nn.Conv2d(3, 8, 3, padding=1, bias=False)' });
    expect(callOf(new nn.LayerNorm([12], { epsilon: 1e-6 })).ms).toBe('nn.LayerNorm((12,), epsilon=1e-06)');
    expect(callOf(new nn.BatchNorm1d(4, { momentum: 0.9 })).torch).toBe('nn.BatchNorm1d(4)');
    expect(callOf(new nn.HSwish()).torch).toBe('nn.Hardswish()');
  });

  it('every Cell imported from the committed fixtures is written as a call', async () => {
    let cells = 0;
    for (const file of onnxFiles('fixtures/models')) {
      const net = importModel(modelFromFile(file)).network;
      for (const [name, cell] of net.cellsAndNames()) {
        if (cell instanceof ScopeCell || cell instanceof OnnxNetwork) continue;
        const call = callOf(cell);
        cells++;
        expect(call.ms, `${file} ${name}`).toMatch(new RegExp(`^nn\\.${cell.clsName}\\(`));
        expect(call.torch, `${file} ${name}`).toMatch(/^nn\.\w+\(/);
        expect(`${call.ms} ${call.torch}`, `${file} ${name}`).not.toMatch(/[?…]|=[a-z][a-z_]*[,)]|Parameter \(/);
      }
    }
    expect(cells).toBeGreaterThan(500);
  });
});
