/** Reading ModelProto: typed tensor fields, float16, external data beside the model, and refusals. */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync, symlinkSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { decodeTensor, modelFromFile, modelFromBytes, UnalignedTensor } from '../../src/onnx/proto.js';
import * as ops from '../../src/runtime/functional.js';
import { noGrad } from '../../src/runtime/autograd.js';
import { graphInputsFromFile } from '../../src/onnx/skim.js';
import { ModelLoadError } from '../../src/errors.js';
import { numberToFloat16Bits } from '../../src/runtime/dtype.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { parity } from '../helpers/parity.js';
import { Tensor } from '../../src/runtime/tensor.js';

const ctx = { baseDir: null, what: 'test' };
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'msport-proto-')); });

describe('tensor decoding', () => {
  it('typed fields: float_data, int64_data, int32_data, bool', () => {
    expect(decodeTensor({ name: 'f', dataType: 1, dims: [2], floatData: [1.5, -2] }, ctx).toArray()).toEqual([1.5, -2]);
    const i64 = decodeTensor({ name: 'i', dataType: 7, dims: [3], int64Data: [1, -1, 9007199254740991] }, ctx);
    expect([i64.dtype, i64.toArray()]).toEqual(['int64', [1, -1, 9007199254740991]]);
    expect(decodeTensor({ name: 'n', dataType: 6, dims: [2], int32Data: [7, -8] }, ctx).toArray()).toEqual([7, -8]);
    expect(decodeTensor({ name: 'b', dataType: 9, dims: [3], int32Data: [1, 0, 1] }, ctx).toArray()).toEqual([1, 0, 1]);
  });

  it('float16 in raw_data and in int32_data', () => {
    const vals = [1, -0.5, 65504, 2 ** -14, 2 ** -24, -3.140625]; // normal, max, smallest normal, smallest subnormal
    const raw = new Uint8Array(2 * vals.length);
    const dv = new DataView(raw.buffer);
    vals.forEach((v, i) => dv.setUint16(2 * i, numberToFloat16Bits(v), true));
    expect(decodeTensor({ name: 'h', dataType: 10, dims: [vals.length], rawData: raw }, ctx).toArray()).toEqual(vals);
    expect(decodeTensor({ name: 'h2', dataType: 10, dims: [vals.length], int32Data: vals.map(numberToFloat16Bits) }, ctx).toArray()).toEqual(vals);
  });

  it('a size that does not match the dims is an error naming the tensor', () => {
    expect(() => decodeTensor({ name: 'w', dataType: 1, dims: [3], rawData: new Uint8Array(8) }, ctx)).toThrow(/tensor w: shape \[3\] needs 12 bytes of FLOAT but the data has 8/);
    expect(() => decodeTensor({ name: 'w', dataType: 1, dims: [3], floatData: [1] }, ctx)).toThrow(/tensor w: shape needs 3 values but 1 are stored/);
    expect(() => decodeTensor({ name: 's', dataType: 8, dims: [1] }, ctx)).toThrow(/data type STRING is not supported/);
  });
});

function externalModel(location: string): Uint8Array {
  const bytes = buildModel({ nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], inputs: [{ name: 'x', dims: [4] }], outputs: [{ name: 'y' }] });
  const m = onnxProto.onnx.ModelProto.decode(bytes);
  m.graph!.initializer = [onnxProto.onnx.TensorProto.create({ name: 'w', dataType: 1, dims: [4], dataLocation: 1,
    externalData: [{ key: 'location', value: location }, { key: 'offset', value: '8' }, { key: 'length', value: '16' }] })];
  return onnxProto.onnx.ModelProto.encode(m).finish();
}

describe('external data', () => {
  it('reads tensors stored beside the model (location, offset, length) and runs them', async () => {
    const data = new Float32Array([99, 99, 1, 2, 3, 4]);
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(data.buffer));
    const path = join(dir, 'ext.onnx');
    writeFileSync(path, externalModel('weights.bin'));
    const model = modelFromFile(path);
    expect(model.graph.initializers.get('w')!.toArray()).toEqual([1, 2, 3, 4]);
  });

  it('refuses absolute paths, paths escaping the folder and missing files, naming them', () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(dir, 'outside.bin'), new Uint8Array(32));
    symlinkSync(join(dir, 'outside.bin'), join(sub, 'link.bin'));
    const cases: [string, RegExp][] = [
      ['/etc/passwd', /is absolute/], ['../outside.bin', /escapes the model's folder/], ['link.bin', /escapes the model's folder/], ['gone.bin', /external data file not found: .*gone\.bin/],
    ];
    for (const [loc, msg] of cases) {
      const path = join(sub, `m-${loc.replace(/\W/g, '_')}.onnx`);
      writeFileSync(path, externalModel(loc));
      expect(() => modelFromFile(path), loc).toThrow(msg);
    }
  });
});

describe('graph checks', () => {
  it('a node reading a missing tensor and a cycle are reported by name', async () => {
    const { importModel } = await import('../../src/onnx/import.js');
    const missing = buildModel({ nodes: [{ op: 'Add', name: 'add1', inputs: ['x', 'ghost'], outputs: ['y'] }], inputs: [{ name: 'x', dims: [1] }], outputs: [{ name: 'y' }] });
    expect(() => importModel(modelFromBytes(missing))).toThrow(/node add1 \(Add\) reads tensor 'ghost'/);
    const cycle = buildModel({
      nodes: [{ op: 'Relu', name: 'a', inputs: ['t2'], outputs: ['t1'] }, { op: 'Relu', name: 'b', inputs: ['t1'], outputs: ['t2'] }, { op: 'Add', name: 'c', inputs: ['x', 't2'], outputs: ['y'] }],
      inputs: [{ name: 'x', dims: [1] }], outputs: [{ name: 'y' }],
    });
    expect(() => importModel(modelFromBytes(cycle))).toThrow(/cycle/);
  });

  it('nodes listed out of order still run', async () => {
    const bytes = buildModel({
      nodes: [{ op: 'Relu', inputs: ['t'], outputs: ['y'] }, { op: 'Neg', inputs: ['x'], outputs: ['t'] }],
      inputs: [{ name: 'x', dims: [5] }], outputs: [{ name: 'y' }],
    });
    const [r] = await parity(bytes, { x: Tensor.from([-2, -1, 0, 1, 2], 'float32') });
    expect(r!.mismatches).toBe(0);
  });
});

describe('reading a file', () => {
  it('places the bytes so a large misaligned weight is viewed in place, not copied, and leaves the file as it was', () => {
    // a 3-byte uint8 initializer before the big one: its raw_data lands at an offset that is not a multiple of 4
    const big = new Float32Array(1 << 19).map((_, i) => i - 1000.5);
    const bytes = buildModel({
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [{ name: 'x', dims: [1 << 19] }], outputs: [{ name: 'y' }],
      initializers: { a: new Tensor(new Uint8Array([1, 2, 3]), [3], 'uint8'), w: new Tensor(big, [1 << 19], 'float32') },
    });
    const path = join(dir, 'misaligned.onnx');
    writeFileSync(path, bytes);
    const rawAt = Buffer.from(bytes).indexOf(Buffer.from(big.buffer, 0, 64));
    expect(rawAt % 4).not.toBe(0);
    const model = modelFromFile(path);
    const w = model.graph.initializers.get('w')!.data as Float32Array;
    expect(w.buffer).toBe(model.bytes.buffer);
    expect(Array.from(w.subarray(0, 3))).toEqual([-1000.5, -999.5, -998.5]);
    expect(w[(1 << 19) - 1]).toBe((1 << 19) - 1 - 1000.5);
    expect(Buffer.from(model.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(readFileSync(path).equals(Buffer.from(bytes))).toBe(true);
  });

  it('graphInputsFromFile reads the inputs without the weights, as the full decode does', () => {
    const bytes = buildModel({
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [{ name: 'x', dims: ['batch', 4] }, { name: 'w', dims: [4] }], outputs: [{ name: 'y' }],
      initializers: { w: Tensor.from([1, 2, 3, 4]) },
    });
    const path = join(dir, 'inputs.onnx');
    writeFileSync(path, bytes);
    const inputs = graphInputsFromFile(path);
    expect(inputs).toEqual([{ name: 'x', dtype: 'float32', dtypeName: 'FLOAT', dims: ['batch', 4] }]);
    expect(inputs).toEqual(modelFromFile(path).graph.inputs);
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, Buffer.from([0x0f, 0xff, 0xff, 0xff]));
    expect(() => graphInputsFromFile(junk)).toThrow(ModelLoadError);
    expect(() => graphInputsFromFile(join(dir, 'missing.onnx'))).toThrow(/model file not found/);
  });
});

describe('unaligned initializers', () => {
  it('are copied only when read, and a transpose takes their bytes without making that copy', () => {
    const R = 96, C = 80, vals = Float32Array.from({ length: R * C }, (_, i) => i * 0.5 - 7);
    const file = new Uint8Array(1 + vals.byteLength);
    file.set(new Uint8Array(vals.buffer), 1);
    const raw = file.subarray(1);
    let copies = 0;
    const t = new UnalignedTensor(raw, () => { copies++; const c = new Uint8Array(raw.byteLength); c.set(raw); return new Float32Array(c.buffer); }, [R, C], 'float32');
    const tr = noGrad(() => ops.transpose(t, [1, 0]));
    expect(copies).toBe(0);
    expect(t.unalignedBytes).toBe(raw);
    for (const [r, c] of [[0, 0], [3, 7], [95, 79], [20, 1]] as const) expect(tr.data[c * R + r]).toBe(vals[r * C + c]);
    const d = t.data;
    expect(copies).toBe(1);
    expect(Array.from(d)).toEqual(Array.from(vals));
    expect(t.data).toBe(d);
    expect(t.unalignedBytes).toBeNull();
  });
});
