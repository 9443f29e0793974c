/**
 * MindSpore checkpoint I/O (shared/reference/checkpoint-format.md): .ckpt bytes, chunks, CRC trailer, loader
 * behaviour, load_param_into_net, and the safetensors variant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import protobuf from 'protobufjs';
import * as nn from '../../src/runtime/nn/index.js';
import { Cell } from '../../src/runtime/cell.js';
import { Parameter } from '../../src/runtime/parameter.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { roundToFloat16 } from '../../src/runtime/dtype.js';
import { ModelLoadError, MsportError, UsageError } from '../../src/errors.js';
import { loadCheckpoint, loadParamIntoNet, readCheckpoint, saveCheckpoint } from '../../src/runtime/checkpoint.js';
import { loadSafetensors, readSafetensors, saveSafetensors } from '../../src/runtime/safetensors.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'msport-ckpt-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });
const at = (name: string): string => join(dir, name);
const bytesOf = (file: string): number[] => [...readFileSync(file)];
const hex = (s: string): number[] => s.trim().split(/\s+/).map(h => parseInt(h, 16));
const ascii = (s: string): number[] => [...Buffer.from(s, 'utf8')];
const f32 = (...v: number[]): number[] => [...new Uint8Array(new Float32Array(v).buffer)];

/** The schema text of checkpoint.proto as the reference gives it, parsed by protobufjs: an independent reader. */
const PROTO_TEXT = `
syntax = "proto2";
message Checkpoint {
  message Value {
    required string tag = 1;
    oneof value {
      TensorProto tensor = 2;
      MapTensorProto maptensor = 3;
    }
  }
  repeated Value value = 1;
}
message TensorProto {
  repeated int64 dims = 1;
  required string tensor_type = 2;
  required bytes tensor_content = 3;
}
message MapTensorProto {
  repeated TensorProto tensor = 1;
}`;
const independentRoot = protobuf.parse(PROTO_TEXT, { keepCase: true }).root;
interface IndepValue { tag: string; tensor: { dims: unknown[]; tensor_type: string; tensor_content: Uint8Array } }
function decodeIndependently(bytes: Uint8Array): IndepValue[] {
  const msg = independentRoot.lookupType('Checkpoint').decode(bytes) as unknown as { value: IndepValue[] };
  return msg.value;
}
const dimsNum = (v: IndepValue): number[] => v.tensor.dims.map(d => Number(String(d)));

/** Dense(2, 1) of the reference's worked example A: weight [[0.5, -1.0]], bias [0.25]. */
function exampleDense(): nn.Dense {
  const d = new nn.Dense(2, 1);
  d.weight.setData(Tensor.from([[0.5, -1.0]]));
  d.bias!.setData(Tensor.from([0.25]));
  return d;
}

const EXAMPLE_A = hex(`
  0a 21  0a 06 77 65 69 67 68 74  12 17  08 01 08 02  12 07 46 6c 6f 61 74 33 32
         1a 08 00 00 00 3f 00 00 80 bf
  0a 19  0a 04 62 69 61 73  12 11  08 01  12 07 46 6c 6f 61 74 33 32  1a 04 00 00 80 3e`);

function oneLine(fn: () => unknown): MsportError {
  try { fn(); } catch (e) {
    expect(e).toBeInstanceOf(MsportError);
    expect((e as Error).message).not.toContain('\n');
    return e as MsportError;
  }
  throw new Error('expected an error');
}

/** One parameter of each runtime dtype, plus a scalar. */
function allDtypeParams(): Parameter[] {
  const p = (name: string, t: Tensor): Parameter => new Parameter(t, name);
  return [
    p('f32', Tensor.from([[1.5, -2.25, 3.4028234663852886e38], [1e-45, -0, Number.NaN]], 'float32')),
    p('f16', Tensor.from([0.1, -65504, 2 ** -24, 1, Infinity].map(roundToFloat16), 'float16')),
    p('f64', Tensor.from([Math.PI, -1e300, 5e-324], 'float64')),
    p('i64', new Tensor(new BigInt64Array([2n ** 62n + 1n, -(2n ** 63n), 7n]), [3], 'int64')),
    p('i32', Tensor.from([2147483647, -2147483648, 0], 'int32')),
    p('i8', Tensor.from([[-128, 127], [0, -1]], 'int8')),
    p('u8', Tensor.from([0, 255, 17], 'uint8')),
    p('b', Tensor.from([true, false, true, true])),
    p('scalar', Tensor.scalar(42.5, 'float32')),
    p('empty', Tensor.zeros([0, 3], 'float32')),
  ];
}

describe('saveCheckpoint: bytes', () => {
  it('writes the reference worked example A byte for byte (62 bytes, unpacked dims, no header)', () => {
    const file = saveCheckpoint(exampleDense(), at('dense'));
    expect(file).toBe(at('dense.ckpt'));
    expect(bytesOf(file)).toEqual(EXAMPLE_A);
  });

  it('matches bytes assembled by hand from the wire description, multi-byte varints included', () => {
    // tag "w", dims [40], Float32 with 160 content bytes: tensor_content length 160 = varint a0 01
    const vals = Array.from({ length: 40 }, (_, i) => i - 20.5);
    const content = f32(...vals);
    const T = [0x08, 40, 0x12, 7, ...ascii('Float32'), 0x1a, 0xa0, 0x01, ...content];
    expect(T.length).toBe(2 + 9 + 3 + 160); // 174 = varint ae 01
    const V = [0x0a, 1, ...ascii('w'), 0x12, 0xae, 0x01, ...T];
    expect(V.length).toBe(180); // varint b4 01
    // a scalar Int32 "s" = -2: no dims at all
    const T2 = [0x12, 5, ...ascii('Int32'), 0x1a, 4, 0xfe, 0xff, 0xff, 0xff];
    const V2 = [0x0a, 1, ...ascii('s'), 0x12, T2.length, ...T2];
    const expected = [0x0a, 0xb4, 0x01, ...V, 0x0a, V2.length, ...V2];
    const file = saveCheckpoint([new Parameter(Tensor.from(vals), 'w'), new Parameter(Tensor.scalar(-2, 'int32'), 's')], at('hand.ckpt'));
    expect(bytesOf(file)).toEqual(expected);
  });

  it('writes append_dict entries after the parameters as in worked example B', () => {
    const file = saveCheckpoint([], at('append.ckpt'), { appendDict: { epoch_num: 3, note: 'ab' } });
    expect(bytesOf(file)).toEqual(hex(`
      0a 1e  0a 09 65 70 6f 63 68 5f 6e 75 6d  12 11  12 05 49 6e 74 36 34  1a 08 03 00 00 00 00 00 00 00
      0a 19  0a 04 6e 6f 74 65  12 11  08 00  12 03 73 74 72  1a 08 61 00 00 00 62 00 00 00`));
    const c = readCheckpoint(file);
    expect(c.strings).toEqual(new Map([['note', 'ab']]));
    const epoch = c.params.get('epoch_num')!;
    expect([epoch.dtype, epoch.shape, epoch.item()]).toEqual(['int64', [], 3]);
  });

  it('float16 is written as binary16 bits and bool as one 0/1 byte', () => {
    const file = saveCheckpoint([new Parameter(Tensor.from([1, -2], 'float16'), 'h'), new Parameter(Tensor.from([true, false]), 'b')], at('bits.ckpt'));
    const [h, b] = decodeIndependently(readFileSync(file));
    expect([h!.tensor.tensor_type, [...h!.tensor.tensor_content]]).toEqual(['Float16', [0x00, 0x3c, 0x00, 0xc0]]);
    expect([b!.tensor.tensor_type, [...b!.tensor.tensor_content]]).toEqual(['Bool', [1, 0]]);
  });

  it('writes atomically (no temp file left), adds .ckpt, leaves the file read-only, overwrites an existing file', () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    saveCheckpoint(exampleDense(), join(sub, 'model'));
    saveCheckpoint(exampleDense(), join(sub, 'model')); // over the read-only file
    expect(readdirSync(sub)).toEqual(['model.ckpt']);
    expect(statSync(join(sub, 'model.ckpt')).mode & 0o777).toBe(0o400);
    expect(bytesOf(join(sub, 'model.ckpt'))).toEqual(EXAMPLE_A);
  });

  it('a failed save leaves neither the file nor a temp file', () => {
    const sub = mkdtempSync(join(dir, 'fail-'));
    const e = oneLine(() => saveCheckpoint([new Parameter(Tensor.from([1]), 'x')], join(sub, 'm.ckpt'), { sliceBytes: 0 }));
    expect(e).toBeInstanceOf(UsageError);
    expect(readdirSync(sub)).toEqual([]);
  });
});

describe('independent decoding (protobufjs from the .proto text)', () => {
  it('reads tags, dims, tensor_type strings and content of a Cell checkpoint', () => {
    const net = new nn.SequentialCell([new nn.Dense(4, 3), new nn.BatchNorm1d(3)]);
    const file = saveCheckpoint(net, at('seq.ckpt'));
    const values = decodeIndependently(readFileSync(file));
    const params = net.parametersAndNames();
    expect(values.map(v => v.tag)).toEqual(['0.weight', '0.bias', '1.moving_mean', '1.moving_variance', '1.gamma', '1.beta']);
    expect(values.map(v => v.tag)).toEqual(params.map(([n]) => n));
    values.forEach((v, i) => {
      const p = params[i]![1];
      expect(dimsNum(v)).toEqual([...p.shape]);
      expect(v.tensor.tensor_type).toBe('Float32');
      expect([...new Float32Array(new Uint8Array(v.tensor.tensor_content).buffer)]).toEqual(p.toArray());
    });
  });

  it('every dtype gets its MindSpore tensor_type; a scalar has no dims', () => {
    const file = saveCheckpoint(allDtypeParams(), at('types.ckpt'));
    const values = decodeIndependently(readFileSync(file));
    expect(values.map(v => [v.tag, v.tensor.tensor_type, dimsNum(v), v.tensor.tensor_content.length])).toEqual([
      ['f32', 'Float32', [2, 3], 24], ['f16', 'Float16', [5], 10], ['f64', 'Float64', [3], 24], ['i64', 'Int64', [3], 24],
      ['i32', 'Int32', [3], 12], ['i8', 'Int8', [2, 2], 4], ['u8', 'UInt8', [3], 3], ['b', 'Bool', [4], 4],
      ['scalar', 'Float32', [], 4], ['empty', 'Float32', [0, 3], 0],
    ]);
    const i64 = values[3]!.tensor.tensor_content;
    expect([...new BigInt64Array(new Uint8Array(i64).buffer)]).toEqual([2n ** 62n + 1n, -(2n ** 63n), 7n]);
  });
});

describe('round trips', () => {
  it('a small Cell: save, load, loadParamIntoNet into a fresh net', () => {
    const net = new nn.SequentialCell([new nn.Dense(4, 3), new nn.BatchNorm1d(3)]);
    (net.at(1) as nn.BatchNorm1d).moving_mean.setData(Tensor.from([0.5, -1, 2]));
    const file = saveCheckpoint(net, at('rt-cell.ckpt'));
    const dict = loadCheckpoint(file);
    expect([...dict.keys()]).toEqual(net.parametersAndNames().map(([n]) => n));
    for (const [name, p] of net.parametersAndNames()) {
      const q = dict.get(name)!;
      expect(q).toBeInstanceOf(Parameter);
      expect([q.name, q.dtype, q.shape]).toEqual([name, p.dtype, p.shape]);
      expect(q.toArray()).toEqual(p.toArray());
    }
    const fresh = new nn.SequentialCell([new nn.Dense(4, 3), new nn.BatchNorm1d(3)]);
    expect(loadParamIntoNet(fresh, dict)).toEqual({ paramNotLoad: [], ckptNotLoad: [] });
    const x = Tensor.from([[1, 2, 3, 4], [-1, 0.5, 0, 2]]);
    expect(fresh.forward(x).toArray()).toEqual(net.forward(x).toArray());
    // the net got copies, not the checkpoint's arrays
    expect(fresh.parametersAndNames()[0]![1].data).not.toBe(dict.get('0.weight')!.data);
  });

  it('every dtype, a scalar and an empty tensor come back exactly', () => {
    const params = allDtypeParams();
    const dict = loadCheckpoint(saveCheckpoint(params, at('rt-types.ckpt')));
    expect([...dict.keys()]).toEqual(params.map(p => p.name));
    for (const p of params) {
      const q = dict.get(p.name)!;
      expect([q.dtype, q.shape]).toEqual([p.dtype, p.shape]);
      expect(q.data.constructor).toBe(p.data.constructor);
      expect([...q.data]).toEqual([...p.data]); // NaN, -0 and int64 extremes included
    }
    expect(Object.is(dict.get('f32')!.data[4], -0)).toBe(true);
  });

  it('{name, data} lists and Maps are accepted; choiceFunc selects what is saved', () => {
    const file = saveCheckpoint([{ name: 'a', data: Tensor.from([1, 2]) }, { name: 'b', data: Tensor.from([3]) }], at('list.ckpt'),
      { choiceFunc: n => n !== 'b' });
    expect([...loadCheckpoint(file).keys()]).toEqual(['a']);
    const back = loadCheckpoint(saveCheckpoint(loadCheckpoint(file), at('map.ckpt')));
    expect(back.get('a')!.toArray()).toEqual([1, 2]);
  });
});

describe('chunks', () => {
  it('splits raw bytes every sliceBytes with the same tag and full dims; the loader joins them', () => {
    const vals = Array.from({ length: 15 }, (_, i) => i * 1.25 - 3);
    const t = new Parameter(Tensor.from(vals).view([3, 5]), 'emb.weight');
    const file = saveCheckpoint([t, new Parameter(Tensor.from([9], 'float32'), 'next')], at('chunks.ckpt'), { sliceBytes: 16 });
    const values = decodeIndependently(readFileSync(file));
    expect(values.map(v => [v.tag, dimsNum(v), v.tensor.tensor_type, v.tensor.tensor_content.length])).toEqual([
      ['emb.weight', [3, 5], 'Float32', 16], ['emb.weight', [3, 5], 'Float32', 16], ['emb.weight', [3, 5], 'Float32', 16],
      ['emb.weight', [3, 5], 'Float32', 12], ['next', [1], 'Float32', 4],
    ]);
    const dict = loadCheckpoint(file);
    expect([...dict.keys()]).toEqual(['emb.weight', 'next']);
    expect([dict.get('emb.weight')!.shape, dict.get('emb.weight')!.toArray()]).toEqual([[3, 5], vals]);
  });

  it('a slice size that cuts elements in half still joins to the same values', () => {
    const p = new Parameter(new Tensor(new BigInt64Array([1n, -2n, 3n, 2n ** 60n]), [2, 2], 'int64'), 'i');
    const file = saveCheckpoint([p], at('odd-chunks.ckpt'), { sliceBytes: 7 });
    expect(decodeIndependently(readFileSync(file)).length).toBe(5); // 32 bytes = 7+7+7+7+4
    expect([...loadCheckpoint(file).get('i')!.data]).toEqual([1n, -2n, 3n, 2n ** 60n]);
  });

  it('only adjacent entries join; a later non-adjacent duplicate replaces the earlier value in place', () => {
    const rec = (tag: string, v: number): number[] => {
      const T = [0x08, 1, 0x12, 7, ...ascii('Float32'), 0x1a, 4, ...f32(v)];
      const V = [0x0a, tag.length, ...ascii(tag), 0x12, T.length, ...T];
      return [0x0a, V.length, ...V];
    };
    const file = at('dup.ckpt');
    writeFileSync(file, Buffer.from([...rec('a', 1), ...rec('b', 2), ...rec('a', 3)]));
    const dict = loadCheckpoint(file);
    expect([...dict.keys()]).toEqual(['a', 'b']);
    expect(dict.get('a')!.toArray()).toEqual([3]);
  });

  it('accepts packed dims as well', () => {
    const T = [0x0a, 2, 2, 1, 0x12, 5, ...ascii('Int32'), 0x1a, 8, 1, 0, 0, 0, 2, 0, 0, 0];
    const V = [0x0a, 1, ...ascii('p'), 0x12, T.length, ...T];
    const file = at('packed.ckpt');
    writeFileSync(file, Buffer.from([0x0a, V.length, ...V]));
    const p = loadCheckpoint(file).get('p')!;
    expect([p.shape, p.dtype, p.toArray()]).toEqual([[2, 1], 'int32', [1, 2]]);
  });
});

describe('CRC trailer', () => {
  it('is the reference trailer for example A: crc_num + 10-byte big-endian CRC32', () => {
    const file = saveCheckpoint(exampleDense(), at('crc-a.ckpt'), { crcCheck: true });
    expect(bytesOf(file)).toEqual([...EXAMPLE_A, ...ascii('crc_num'), ...hex('00 00 00 00 00 00 b2 bc 7b da')]);
    expect(zlibCrc32(Buffer.from(EXAMPLE_A))).toBe(2998696922);
  });

  it('covers every chunk; is only written when asked', () => {
    const params = allDtypeParams();
    const plain = readFileSync(saveCheckpoint(params, at('crc-plain.ckpt'), { sliceBytes: 5 }));
    const withCrc = readFileSync(saveCheckpoint(params, at('crc-on.ckpt'), { sliceBytes: 5, crcCheck: true }));
    expect(plain.subarray(plain.length - 17, plain.length - 10).toString()).not.toBe('crc_num');
    expect(withCrc.length).toBe(plain.length + 17);
    expect(withCrc.subarray(0, plain.length).equals(plain)).toBe(true);
    expect(withCrc.readUInt32BE(withCrc.length - 4)).toBe(zlibCrc32(plain));
  });

  it('the loader strips the trailer even without crcCheck, and verifies it with crcCheck', () => {
    const file = saveCheckpoint(allDtypeParams(), at('crc-load.ckpt'), { crcCheck: true });
    const a = loadCheckpoint(file);
    const b = loadCheckpoint(file, { crcCheck: true });
    expect([...a.keys()]).toEqual(allDtypeParams().map(p => p.name));
    expect(b.get('i64')!.data).toEqual(a.get('i64')!.data);
  });

  it('detects a corrupted content byte or CRC value with crcCheck', () => {
    const good = readFileSync(saveCheckpoint(exampleDense(), at('crc-src.ckpt'), { crcCheck: true }));
    const badContent = Buffer.from(good); badContent[30] ^= 0x01; // inside weight's content
    writeFileSync(at('crc-bad1.ckpt'), badContent);
    const e1 = oneLine(() => loadCheckpoint(at('crc-bad1.ckpt'), { crcCheck: true }));
    expect(e1).toBeInstanceOf(ModelLoadError);
    expect(e1.message).toMatch(/crc-bad1\.ckpt: CRC check failed/);
    expect(loadCheckpoint(at('crc-bad1.ckpt')).get('weight')!.size).toBe(2); // unchecked: loads the damaged value
    const badCrc = Buffer.from(good); badCrc[badCrc.length - 1] ^= 0xff;
    writeFileSync(at('crc-bad2.ckpt'), badCrc);
    expect(oneLine(() => loadCheckpoint(at('crc-bad2.ckpt'), { crcCheck: true })).message).toMatch(/CRC check failed/);
  });

  it('crcCheck on a file without a trailer warns (as MindSpore) and loads', () => {
    const warnings: string[] = [];
    const dict = loadCheckpoint(saveCheckpoint(exampleDense(), at('nocrc.ckpt')), { crcCheck: true, onWarning: m => warnings.push(m) });
    expect(dict.size).toBe(2);
    expect(warnings).toEqual([expect.stringMatching(/nocrc\.ckpt: no crc_num trailer/)]);
  });
});

describe('loadCheckpoint filters', () => {
  let file: string;
  beforeAll(() => {
    const net = new nn.SequentialCell([new nn.Dense(4, 3), new nn.BatchNorm1d(3)]);
    file = saveCheckpoint(net, at('filters.ckpt'));
  });
  it('specifyPrefix keeps, filterPrefix drops, choiceFunc only without prefixes', () => {
    expect([...loadCheckpoint(file, { specifyPrefix: '0.' }).keys()]).toEqual(['0.weight', '0.bias']);
    expect([...loadCheckpoint(file, { filterPrefix: ['1.moving', '0.'] }).keys()]).toEqual(['1.gamma', '1.beta']);
    expect([...loadCheckpoint(file, { specifyPrefix: '1.', filterPrefix: '1.moving' }).keys()]).toEqual(['1.gamma', '1.beta']);
    expect([...loadCheckpoint(file, { choiceFunc: n => n.endsWith('bias') }).keys()]).toEqual(['0.bias']);
    expect([...loadCheckpoint(file, { specifyPrefix: '0.', choiceFunc: () => false }).keys()]).toEqual(['0.weight', '0.bias']);
  });
  it('an empty result is an error; empty prefixes are refused', () => {
    expect(oneLine(() => loadCheckpoint(file, { specifyPrefix: 'nope' })).message).toMatch(/filters\.ckpt: no entries left after/);
    expect(oneLine(() => loadCheckpoint(file, { filterPrefix: '' }))).toBeInstanceOf(UsageError);
    expect(oneLine(() => loadCheckpoint(file, { specifyPrefix: [] }))).toBeInstanceOf(UsageError);
  });
});

describe('loadParamIntoNet', () => {
  class Net extends Cell {
    fc = new nn.Dense(2, 3);
    bn = new nn.BatchNorm1d(3);
    construct(x: Tensor): Tensor { return this.bn.forward(this.fc.forward(x)); }
  }

  it('reports missing net parameters and unused checkpoint entries by name', () => {
    const src = loadCheckpoint(saveCheckpoint(new Net(), at('lp-src.ckpt'), { choiceFunc: n => n !== 'bn.beta' }));
    src.set('extra.w', new Parameter(Tensor.from([1]), 'extra.w'));
    const net = new Net();
    const before = net.bn.beta.toArray();
    const r = loadParamIntoNet(net, src, true);
    expect(r).toEqual({ paramNotLoad: ['bn.beta'], ckptNotLoad: ['extra.w'] });
    expect(net.bn.beta.toArray()).toEqual(before);
    expect(net.fc.weight.toArray()).toEqual(src.get('fc.weight')!.toArray());
  });

  it('a shape mismatch names the key and both shapes, and changes nothing', () => {
    const src = loadCheckpoint(saveCheckpoint(new Net(), at('lp-shape.ckpt')));
    src.set('fc.weight', new Parameter(Tensor.zeros([2, 3]), 'fc.weight'));
    const net = new Net();
    const bias = net.fc.bias!.toArray();
    const e = oneLine(() => loadParamIntoNet(net, src));
    expect(e).toBeInstanceOf(ModelLoadError);
    expect(e.message).toBe("load_param_into_net: 'fc.weight' has shape (3, 2) in the net but (2, 3) in the checkpoint");
    expect(net.fc.bias!.toArray()).toEqual(bias); // bias (ordered after) untouched: checked before applying
  });

  it('trailing 1 dims are reshaped away; float dtypes are cast unless strictLoad', () => {
    const net = new Net();
    const w = new Parameter(new Tensor(new Float64Array([1, 2, 3, 4, 5, 6.1]), [3, 2, 1, 1], 'float64'), 'fc.weight');
    const warnings: string[] = [];
    const r = loadParamIntoNet(net, new Map([['fc.weight', w]]), false, { onWarning: m => warnings.push(m) });
    expect(r.paramNotLoad).toEqual(['fc.bias', 'bn.moving_mean', 'bn.moving_variance', 'bn.gamma', 'bn.beta']);
    expect([net.fc.weight.shape, net.fc.weight.dtype]).toEqual([[3, 2], 'float32']);
    expect(net.fc.weight.toArray()).toEqual([1, 2, 3, 4, 5, Math.fround(6.1)]);
    expect(warnings).toEqual(["load_param_into_net: 'fc.weight' converted from Float64 to Float32"]);
    const e = oneLine(() => loadParamIntoNet(new Net(), new Map([['fc.weight', w]]), true));
    expect(e.message).toMatch(/'fc\.weight' has dtype Float32 in the net but Float64 in the checkpoint/);
    const ints = new Parameter(Tensor.zeros([3], 'int32'), 'fc.bias');
    expect(oneLine(() => loadParamIntoNet(new Net(), new Map([['fc.bias', ints]]))).message).toMatch(/'fc\.bias' has dtype Float32 in the net but Int32/);
  });

  it('without strictLoad, retries missing names with the checkpoint prefix (network.)', () => {
    const src = new Map<string, Parameter>();
    for (const [n, p] of new Net().parametersAndNames()) src.set(`network.${n}`, new Parameter(Tensor.full(p.shape, 7), `network.${n}`));
    src.set('network.other', new Parameter(Tensor.from([1]), 'network.other'));
    const warnings: string[] = [];
    const net = new Net();
    expect(loadParamIntoNet(net, src, false, { onWarning: m => warnings.push(m) })).toEqual({ paramNotLoad: [], ckptNotLoad: ['network.other'] });
    expect(net.bn.moving_variance.toArray()).toEqual([7, 7, 7]);
    expect(warnings[0]).toMatch(/prefix 'network\.'/);
    expect(loadParamIntoNet(new Net(), src, true).paramNotLoad.length).toBe(6);
  });
});

describe('load errors are one line and name the file and the key', () => {
  it('file not found', () => {
    const e = oneLine(() => loadCheckpoint(at('missing.ckpt')));
    expect(e).toBeInstanceOf(ModelLoadError);
    expect(e.message).toBe(`checkpoint file not found: ${at('missing.ckpt')}`);
  });

  it('wrong extension and empty file', () => {
    expect(oneLine(() => loadCheckpoint(at('model.bin'))).message).toMatch(/must end with \.ckpt/);
    writeFileSync(at('empty.ckpt'), Buffer.alloc(0));
    expect(oneLine(() => loadCheckpoint(at('empty.ckpt'))).message).toBe(`checkpoint ${at('empty.ckpt')}: contains no entries`);
    writeFileSync(at('other.ckpt'), Buffer.from([0x08, 0x07, 0x12, 0x03, 0x61, 0x62, 0x63])); // protobuf, but no field 1 entries
    expect(oneLine(() => loadCheckpoint(at('other.ckpt'))).message).toMatch(/other\.ckpt: contains no checkpoint entries/);
    writeFileSync(at('junk.ckpt'), Buffer.from([0x00, 0x01, 0x02]));
    expect(oneLine(() => loadCheckpoint(at('junk.ckpt'))).message).toMatch(/junk\.ckpt: truncated or not a MindSpore checkpoint at entry #0: invalid field number 0/);
  });

  it('truncated file, at every cut inside the last entry', () => {
    const good = readFileSync(saveCheckpoint(exampleDense(), at('trunc-src.ckpt')));
    for (let cut = 36; cut < good.length; cut++) { // 35 bytes = the whole first entry
      writeFileSync(at('trunc.ckpt'), good.subarray(0, cut));
      const e = oneLine(() => loadCheckpoint(at('trunc.ckpt')));
      expect(e).toBeInstanceOf(ModelLoadError);
      expect(e.message).toMatch(/trunc\.ckpt: truncated .*after 'weight'/);
    }
    writeFileSync(at('trunc.ckpt'), good.subarray(0, 20));
    expect(oneLine(() => loadCheckpoint(at('trunc.ckpt'))).message).toMatch(/truncated at entry #0: the entry needs 33 bytes, 18 remain/);
  });

  it('unknown and unsupported tensor_type name the tag', () => {
    const rec = (tag: string, type: string): number[] => {
      const T = [0x08, 1, 0x12, type.length, ...ascii(type), 0x1a, 8, 0, 0, 0, 0, 0, 0, 0, 0];
      const V = [0x0a, tag.length, ...ascii(tag), 0x12, T.length, ...T];
      return [0x0a, V.length, ...V];
    };
    writeFileSync(at('unknown.ckpt'), Buffer.from([...rec('ok', 'Int64'), ...rec('z', 'Complex64')]));
    expect(oneLine(() => loadCheckpoint(at('unknown.ckpt'))).message).toBe(`checkpoint ${at('unknown.ckpt')}: entry 'z' has unknown tensor_type 'Complex64'`);
    expect(loadCheckpoint(at('unknown.ckpt'), { filterPrefix: 'z' }).size).toBe(1); // filtered before the type is looked up
    writeFileSync(at('bf16.ckpt'), Buffer.from(rec('w', 'BFloat16')));
    expect(oneLine(() => loadCheckpoint(at('bf16.ckpt'))).message).toMatch(/entry 'w' has tensor_type 'BFloat16', which the msport runtime does not support/);
  });

  it('content that does not fit the dims, and a missing required field', () => {
    const T = [0x08, 3, 0x12, 7, ...ascii('Float32'), 0x1a, 4, ...f32(1)];
    const V = [0x0a, 1, ...ascii('x'), 0x12, T.length, ...T];
    writeFileSync(at('short.ckpt'), Buffer.from([0x0a, V.length, ...V]));
    expect(oneLine(() => loadCheckpoint(at('short.ckpt'))).message).toMatch(/entry 'x' has 4 content bytes but shape \(3,\) Float32 needs 12/);
    const T2 = [0x08, 1, 0x1a, 4, ...f32(1)]; // no tensor_type
    const V2 = [0x0a, 1, ...ascii('y'), 0x12, T2.length, ...T2];
    writeFileSync(at('noreq.ckpt'), Buffer.from([0x0a, V2.length, ...V2]));
    expect(oneLine(() => loadCheckpoint(at('noreq.ckpt'))).message).toMatch(/noreq\.ckpt: corrupted entry #0: missing required 'tensor_type'/);
  });
});

describe('safetensors', () => {
  it('writes the reference worked example D byte for byte (172 bytes)', () => {
    const file = saveSafetensors(exampleDense(), at('dense'));
    expect(file).toBe(at('dense.safetensors'));
    const header = '{"__metadata__":{"format":"ms"},"bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[4,12]}}';
    expect(header.length).toBe(149);
    expect(bytesOf(file)).toEqual([0x98, 0, 0, 0, 0, 0, 0, 0, ...ascii(header), 0x20, 0x20, 0x20, ...f32(0.25), ...f32(0.5, -1)]);
  });

  it('lays tensors out by dtype alignment (largest first), then name, and round-trips every dtype', () => {
    const params = allDtypeParams();
    const file = saveSafetensors(params, at('types.safetensors'));
    const buf = readFileSync(file);
    const n = Number(buf.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + n).toString()) as Record<string, { dtype: string; data_offsets: number[] }>;
    expect(Object.keys(header)).toEqual(['__metadata__', 'i64', 'f64', 'empty', 'f32', 'scalar', 'i32', 'f16', 'i8', 'u8', 'b']);
    const dict = loadSafetensors(file);
    expect([...dict.keys()]).toEqual(params.map(p => p.name).sort());
    for (const p of params) {
      const q = dict.get(p.name)!;
      expect([q.name, q.dtype, q.shape, [...q.data]]).toEqual([p.name, p.dtype, p.shape, [...p.data]]);
    }
  });

  it('crc_num metadata, truncation and unknown dtypes', () => {
    const file = saveSafetensors(exampleDense(), at('crc.safetensors'), { crcCheck: true });
    const c = readSafetensors(file, { crcCheck: true });
    expect(c.metadata).toEqual({ format: 'ms', crc_num: String(zlibCrc32(Buffer.from([...ascii('bias'), ...f32(0.25), ...ascii('weight'), ...f32(0.5, -1)]))) });
    const buf = readFileSync(file);
    const damaged = Buffer.from(buf); damaged[damaged.length - 1] ^= 1;
    writeFileSync(at('crc-bad.safetensors'), damaged);
    expect(oneLine(() => loadSafetensors(at('crc-bad.safetensors'), { crcCheck: true })).message).toMatch(/CRC check failed/);
    writeFileSync(at('cut.safetensors'), buf.subarray(0, buf.length - 2));
    expect(oneLine(() => loadSafetensors(at('cut.safetensors'))).message).toMatch(/cut\.safetensors: tensor data ends at byte/);
    const h = '{"x":{"dtype":"F8_E5M2","shape":[2],"data_offsets":[0,2]}}';
    const len = Buffer.alloc(8); len.writeBigUInt64LE(BigInt(h.length));
    writeFileSync(at('f8.safetensors'), Buffer.concat([len, Buffer.from(h), Buffer.from([1, 2])]));
    expect(oneLine(() => loadSafetensors(at('f8.safetensors'))).message).toBe(`safetensors ${at('f8.safetensors')}: tensor 'x' has unknown dtype 'F8_E5M2'`);
    expect(oneLine(() => loadSafetensors(at('nope.safetensors'))).message).toMatch(/safetensors file not found/);
  });

  it('loads into a net with loadParamIntoNet', () => {
    const net = new nn.SequentialCell([new nn.Dense(4, 3), new nn.BatchNorm1d(3)]);
    const dict = loadSafetensors(saveSafetensors(net, at('seq.safetensors')));
    const fresh = new nn.SequentialCell([new nn.Dense(4, 3), new nn.BatchNorm1d(3)]);
    expect(loadParamIntoNet(fresh, dict)).toEqual({ paramNotLoad: [], ckptNotLoad: [] });
    expect(fresh.parametersAndNames().map(([, p]) => p.toArray())).toEqual(net.parametersAndNames().map(([, p]) => p.toArray()));
  });
});
