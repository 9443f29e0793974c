// Seeded mutation fuzzing of `msport check`: mutated copies of the ONNX fixtures and malformed .npy inputs, run
// through the CLI's main() in-process, each judged against the documented contract (exit code 0-3, one JSON object
// on stdout with --json, a one-line message on stderr, no stack trace, no uncaught throw).
// Shared by test/fuzz.test.ts (≈300 cases) and scripts/fuzz.mjs (≥10,000 cases in worker threads).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

// ------------------------------------------------------------------------------------------------------------------
// randomness

/** mulberry32: small, fast, good enough for choosing mutations; same seed → same case on every machine. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (lo, hi) => lo + Math.floor(next() * (hi - lo)); // [lo, hi)
  next.pick = xs => xs[Math.floor(next() * xs.length)];
  next.chance = p => next() < p;
  return next;
}

/** The seed of case `index` in a run with base seed `base` (spread so neighbouring cases differ in every bit). */
export function caseSeed(base, index) {
  let h = (Math.imul(base >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

// ------------------------------------------------------------------------------------------------------------------
// fixtures

/** Models the fuzzer mutates, and the extra arguments each needs to pass unmutated. */
export const MODEL_FIXTURES = [
  { file: 'fixtures/models/seed_cnn.onnx', args: [], weight: 4 },
  { file: 'fixtures/models/seed_cnn.bn.onnx', args: [], weight: 4 },
  { file: 'fixtures/models/seed_mlp.onnx', args: ['--shape', 'input=2,1,28,28'], weight: 2 },
  { file: 'fixtures/models/seed_conv_relu.onnx', args: [], weight: 1 },
];

/** The model a malformed .npy is fed to, and its input. */
export const NPY_TARGET = { file: 'fixtures/models/seed_cnn.onnx', input: 'input', shape: [1, 3, 40, 40] };

export function loadFixtures(root = '.') {
  return MODEL_FIXTURES.map(f => ({ ...f, bytes: new Uint8Array(readFileSync(join(root, f.file))) }));
}

// ------------------------------------------------------------------------------------------------------------------
// protobuf wire format (for mutations below the schema: field deletion and duplication at any depth)

function readVarint(b, pos, end) {
  let v = 0, mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return null;
    const byte = b[pos++];
    v += (byte & 0x7f) * mul;
    mul *= 128;
    if (!(byte & 0x80)) return [v, pos];
  }
  return null;
}

function varintBytes(v) {
  const out = [];
  do { let byte = v % 128; v = Math.floor(v / 128); if (v) byte |= 0x80; out.push(byte); } while (v);
  return Uint8Array.from(out);
}

/** The fields of the message in b[start, end), or null when the bytes do not parse as one. */
export function wireFields(b, start, end) {
  const fields = [];
  let pos = start;
  while (pos < end) {
    const tag = readVarint(b, pos, end);
    if (!tag || tag[0] === 0) return null;
    const wt = tag[0] % 8, f0 = pos;
    pos = tag[1];
    const tagEnd = pos;
    let dataStart = pos, dataEnd;
    if (wt === 0) { const v = readVarint(b, pos, end); if (!v) return null; dataEnd = pos = v[1]; }
    else if (wt === 1) { dataEnd = pos = pos + 8; }
    else if (wt === 5) { dataEnd = pos = pos + 4; }
    else if (wt === 2) { const l = readVarint(b, pos, end); if (!l) return null; dataStart = l[1]; dataEnd = pos = l[1] + l[0]; }
    else return null;
    if (pos > end) return null;
    fields.push({ field: Math.floor(tag[0] / 8), wt, start: f0, tagEnd, dataStart, end: pos, dataEnd });
  }
  return fields;
}

const concat = parts => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

/**
 * Rewrite one field somewhere in the message tree: descend into length-delimited fields that parse as messages
 * (with some probability), then apply `op` to one field of that level: 'delete' drops it, 'dup' repeats it.
 * Returns the new bytes of b[start, end) and a description, or null.
 */
function wireEdit(b, start, end, r, op, depth = 0, path = []) {
  const fields = wireFields(b, start, end);
  if (!fields || fields.length === 0) return null;
  const f = r.pick(fields);
  if (f.wt === 2 && depth < 6 && r.chance(0.7)) {
    const inner = wireEdit(b, f.dataStart, f.dataEnd, r, op, depth + 1, [...path, f.field]);
    if (inner) {
      const bytes = concat([b.subarray(start, f.start), b.subarray(f.start, f.tagEnd), varintBytes(inner.bytes.length), inner.bytes, b.subarray(f.end, end)]);
      return { bytes, where: inner.where };
    }
  }
  const where = [...path, f.field].join('.');
  if (op === 'delete') return { bytes: concat([b.subarray(start, f.start), b.subarray(f.end, end)]), where };
  return { bytes: concat([b.subarray(start, f.end), b.subarray(f.start, f.end), b.subarray(f.end, end)]), where };
}

// ------------------------------------------------------------------------------------------------------------------
// model mutations: each takes (bytes, r) and returns { bytes, what } or null when it does not apply

const EXTREME_DIMS = [-1, -2, -2147483648, 0, 1, 3, 65536, 2147483647, 2147483648, 4294967297, 2 ** 40, 2 ** 53, 2 ** 62, -(2 ** 62), 1e9];
const EXTREME_INTS = [-1, -5, 0, 1, 2, 7, 100, 65535, 2147483647, -2147483648, 2 ** 40, -(2 ** 40), 2 ** 62];
const OP_TYPES = ['Conv', 'Relu', 'Gemm', 'MaxPool', 'Reshape', 'Transpose', 'Concat', 'Add', 'Mul', 'Softmax', 'Flatten', 'BatchNormalization',
  'Identity', 'Slice', 'Split', 'Gather', 'Unsqueeze', 'Squeeze', 'ReduceMean', 'MatMul', 'Pad', 'Resize', 'Loop', 'If', 'Scan', 'Constant',
  'GlobalAveragePool', 'AveragePool', 'ConvTranspose', 'Expand', 'Tile', 'Where', 'Cast', 'Shape', 'ConstantOfShape', 'Range', 'TopK', 'Einsum',
  'Det', '', 'relu', 'Conv\u0000', 'Ä'.repeat(3), 'x'.repeat(300)];
const MAGICS = [
  [], [0], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0x50, 0x4b, 0x03, 0x04], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0],
  [0x1f, 0x8b, 0x08, 0x00], [0x7f, 0x45, 0x4c, 0x46], [0x7b, 0x22], [0xef, 0xbb, 0xbf], [0xff, 0xfe], [0x80, 0x02, 0x63], [0xff, 0xff, 0xff, 0xff, 0xff],
];

const decode = bytes => onnx.ModelProto.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
const encode = m => onnx.ModelProto.encode(m).finish();

/** Apply `fn` to the decoded model; the mutation is described by what `fn` returns (null: not applicable). */
function viaProto(bytes, r, fn) {
  const m = decode(bytes);
  const what = fn(m, r);
  return what ? { bytes: encode(m), what } : null;
}

const g = m => m.graph;

export const MODEL_MUTATIONS = {
  truncate(bytes, r) {
    const at = r.chance(0.3) ? r.int(0, Math.min(bytes.length, 64)) : r.int(0, bytes.length);
    return { bytes: bytes.slice(0, at), what: `truncate to ${at} of ${bytes.length} bytes` };
  },
  flip(bytes, r) {
    const out = bytes.slice();
    const n = r.int(1, 17);
    // structure lives at both ends (nodes first, inputs/outputs last); weights fill the middle
    const region = r.pick(['head', 'tail', 'any']);
    const span = Math.min(out.length, 4096);
    const pos = [];
    for (let i = 0; i < n; i++) {
      const p = region === 'head' ? r.int(0, span) : region === 'tail' ? out.length - 1 - r.int(0, span) : r.int(0, out.length);
      const x = r.int(1, 256);
      out[p] ^= x;
      pos.push(`${p}^0x${x.toString(16)}`);
    }
    return { bytes: out, what: `flip bytes ${pos.join(' ')}` };
  },
  magic(bytes, r) {
    const m = Uint8Array.from(r.pick(MAGICS));
    const mode = r.pick(['replace', 'prepend', 'only', 'random']);
    if (mode === 'random') { const n = r.int(0, 2048); const out = new Uint8Array(n); for (let i = 0; i < n; i++) out[i] = r.int(0, 256); return { bytes: out, what: `${n} random bytes` }; }
    if (mode === 'only') return { bytes: m, what: `only magic [${[...m]}]` };
    if (mode === 'prepend') return { bytes: concat([m, bytes]), what: `prepend magic [${[...m]}]` };
    const out = bytes.slice(); out.set(m.subarray(0, out.length)); return { bytes: out, what: `overwrite start with magic [${[...m]}]` };
  },
  wireDelete(bytes, r) {
    const e = wireEdit(bytes, 0, bytes.length, r, 'delete');
    return e && { bytes: e.bytes, what: `delete wire field at ${e.where}` };
  },
  wireDup(bytes, r) {
    const e = wireEdit(bytes, 0, bytes.length, r, 'dup');
    return e && { bytes: e.bytes, what: `duplicate wire field at ${e.where}` };
  },
  deleteField: (bytes, r) => viaProto(bytes, r, (m, r) => {
    const G = g(m);
    const ops = [
      () => { delete m.graph; return 'delete graph'; },
      () => { m.opsetImport = []; return 'delete opset_import'; },
      () => { delete m.irVersion; return 'delete ir_version'; },
      () => { const i = r.int(0, G.node.length); G.node.splice(i, 1); return `delete node ${i}`; },
      () => { const n = r.pick(G.node); const k = r.int(0, Math.max(1, n.input.length)); n.input.splice(k, 1); return `delete input ${k} of node ${n.name}`; },
      () => { const n = r.pick(G.node); n.output = []; return `delete outputs of node ${n.name}`; },
      () => { const n = r.pick(G.node); if (!n.attribute.length) return null; const k = r.int(0, n.attribute.length); const a = n.attribute.splice(k, 1)[0]; return `delete attribute ${a.name} of node ${n.name}`; },
      () => { const n = r.pick(G.node); delete n.opType; return `delete op_type of node ${n.name}`; },
      () => { if (!G.initializer.length) return null; const i = r.int(0, G.initializer.length); const t = G.initializer.splice(i, 1)[0]; return `delete initializer ${t.name}`; },
      () => { if (!G.initializer.length) return null; const t = r.pick(G.initializer); delete t.rawData; return `delete raw_data of ${t.name}`; },
      () => { if (!G.initializer.length) return null; const t = r.pick(G.initializer); t.dims = []; return `delete dims of ${t.name}`; },
      () => { if (!G.initializer.length) return null; const t = r.pick(G.initializer); delete t.dataType; return `delete data_type of ${t.name}`; },
      () => { G.input = []; return 'delete graph inputs'; },
      () => { G.output = []; return 'delete graph outputs'; },
      () => { const v = r.pick(G.input); delete v.type; return `delete type of input ${v.name}`; },
      () => { const v = r.pick(G.input); if (!v.type?.tensorType) return null; delete v.type.tensorType.shape; return `delete shape of input ${v.name}`; },
      () => { const v = r.pick(G.input); const d = v.type?.tensorType?.shape?.dim; if (!d?.length) return null; const k = r.int(0, d.length); d.splice(k, 1); return `delete dim ${k} of input ${v.name}`; },
      () => { const v = r.pick(G.output); delete v.type; return `delete type of output ${v.name}`; },
    ];
    return r.pick(ops)();
  }),
  dims: (bytes, r) => viaProto(bytes, r, (m, r) => {
    const G = g(m);
    const val = r.pick(EXTREME_DIMS);
    const ops = [
      () => { if (!G.initializer.length) return null; const t = r.pick(G.initializer); if (!t.dims.length) t.dims = [val]; else t.dims[r.int(0, t.dims.length)] = val; return `initializer ${t.name} dims := [${t.dims}]`; },
      () => { if (!G.initializer.length) return null; const t = r.pick(G.initializer); t.dims = Array.from({ length: r.int(0, 40) }, () => r.pick([0, 1, 2, val])); return `initializer ${t.name} dims := [${t.dims}] (rank ${t.dims.length})`; },
      () => {
        const v = r.pick(G.input); const d = v.type?.tensorType?.shape?.dim; if (!d?.length) return null;
        const k = r.int(0, d.length); d[k] = onnx.TensorShapeProto.Dimension.create({ dimValue: val });
        return `input ${v.name} dim ${k} := ${val}`;
      },
      () => {
        const v = r.pick(G.output); const d = v.type?.tensorType?.shape?.dim; if (!d?.length) return null;
        const k = r.int(0, d.length); d[k] = onnx.TensorShapeProto.Dimension.create({ dimValue: val });
        return `output ${v.name} dim ${k} := ${val}`;
      },
      () => {
        const v = r.pick(G.input); if (!v.type?.tensorType) return null;
        const rank = r.int(0, 12);
        v.type.tensorType.shape = onnx.TensorShapeProto.create({ dim: Array.from({ length: rank }, () => onnx.TensorShapeProto.Dimension.create({ dimValue: r.pick([1, 2, 3, 0, val]) })) });
        return `input ${v.name} shape := rank ${rank} [${v.type.tensorType.shape.dim.map(d => d.dimValue)}]`;
      },
      () => {
        // int64 initializers are shapes and axes (Reshape, Slice): set one value
        const ints = G.initializer.filter(t => t.dataType === 7);
        if (!ints.length) return null;
        const t = r.pick(ints);
        const n = t.rawData?.length ? t.rawData.length / 8 : 0;
        if (!n) return null;
        const raw = Buffer.from(t.rawData); const k = r.int(0, n);
        raw.writeBigInt64LE(BigInt(Math.trunc(r.pick(EXTREME_INTS))), k * 8); t.rawData = raw;
        return `int64 initializer ${t.name} value ${k} := ${raw.readBigInt64LE(k * 8)}`;
      },
    ];
    return r.pick(ops)();
  }),
  attributes: (bytes, r) => viaProto(bytes, r, (m, r) => {
    const nodes = g(m).node.filter(n => n.attribute.length);
    if (!nodes.length) return null;
    const n = r.pick(nodes); const a = r.pick(n.attribute);
    const mode = r.int(0, 6);
    if (mode === 0 && a.ints?.length) { a.ints = a.ints.map(() => r.pick(EXTREME_INTS)); return `${n.name}.${a.name} ints := [${a.ints}]`; }
    if (mode === 1 && a.ints?.length) { a.ints = Array.from({ length: r.int(0, 9) }, () => r.pick([0, 1, 2, 3])); return `${n.name}.${a.name} ints := [${a.ints}]`; }
    if (mode === 2) { a.i = r.pick(EXTREME_INTS); a.type = 2; a.ints = []; return `${n.name}.${a.name} := int ${a.i}`; }
    if (mode === 3) { a.f = r.pick([NaN, Infinity, -Infinity, -1, 0, 1e30, 1e-30]); a.type = 1; a.ints = []; return `${n.name}.${a.name} := float ${a.f}`; }
    if (mode === 4) { a.type = r.int(0, 16); return `${n.name}.${a.name} type := ${a.type}`; }
    a.s = Buffer.from(r.pick(['', 'SAME_UPPER', 'VALID', 'NOTSET', 'garbage', '\u0000\u0001'])); a.type = 3; a.ints = [];
    return `${n.name}.${a.name} := string '${a.s}'`;
  }),
  retype: (bytes, r) => viaProto(bytes, r, (m, r) => {
    const G = g(m); const code = r.int(0, 24);
    const ops = [
      () => { if (!G.initializer.length) return null; const t = r.pick(G.initializer); t.dataType = code; return `initializer ${t.name} data_type := ${code}`; },
      () => { const v = r.pick(G.input); if (!v.type?.tensorType) return null; v.type.tensorType.elemType = code; return `input ${v.name} elem_type := ${code}`; },
      () => { const v = r.pick(G.output); if (!v.type?.tensorType) return null; v.type.tensorType.elemType = code; return `output ${v.name} elem_type := ${code}`; },
    ];
    return r.pick(ops)();
  }),
  opType: (bytes, r) => viaProto(bytes, r, (m, r) => {
    const n = r.pick(g(m).node);
    if (r.chance(0.2)) { n.domain = r.pick(['com.microsoft', 'ai.onnx.ml', 'x', 'ai.onnx']); return `node ${n.name} domain := ${n.domain}`; }
    const before = n.opType; n.opType = r.pick(OP_TYPES);
    return `node ${n.name} op_type ${before} := ${JSON.stringify(n.opType)}`;
  }),
  rewire: (bytes, r) => viaProto(bytes, r, (m, r) => {
    const G = g(m); const n = r.pick(G.node);
    const names = [...G.node.flatMap(x => x.output), ...G.input.map(x => x.name), ...G.initializer.map(x => x.name), 'nosuch', ''];
    const mode = r.int(0, 6);
    if (mode === 0 && n.input.length) { const k = r.int(0, n.input.length); n.input[k] = r.pick(names); return `node ${n.name} input ${k} := ${JSON.stringify(n.input[k])}`; }
    if (mode === 1 && n.output.length) { n.input.push(n.output[0]); return `node ${n.name} reads its own output (cycle)`; }
    if (mode === 2) { const k = r.int(0, G.node.length); G.node.splice(k, 0, G.node[r.int(0, G.node.length)]); return `duplicate a node at ${k}`; }
    if (mode === 3) { G.node.reverse(); return 'reverse node order'; }
    if (mode === 4 && n.output.length) { n.output[0] = r.pick(names); return `node ${n.name} output 0 := ${JSON.stringify(n.output[0])}`; }
    const extra = r.int(1, 6); for (let i = 0; i < extra; i++) n.input.push(r.pick(names));
    return `node ${n.name} gets ${extra} extra inputs`;
  }),
  opset: (bytes, r) => viaProto(bytes, r, (m, r) => {
    const v = r.pick([0, 1, 5, 6, 7, 9, 10, 11, 12, 14, 17, 20, 21, 22, 99, -1, 2 ** 40]);
    if (r.chance(0.2)) { m.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: '', version: v })); return `extra opset import ${v}`; }
    if (!m.opsetImport.length) return null;
    m.opsetImport[0].version = v; return `opset := ${v}`;
  }),
  externalData: (bytes, r) => viaProto(bytes, r, (m, r) => {
    const G = g(m); if (!G.initializer.length) return null;
    const t = r.pick(G.initializer);
    const location = r.pick(['../../../../etc/passwd', '/etc/passwd', 'nosuch.bin', '', '.', '..', 'a\u0000b', 'fixtures', '../models/seed_cnn.onnx']);
    const kv = [{ key: 'location', value: location }];
    if (r.chance(0.5)) kv.push({ key: 'offset', value: r.pick(['0', '-1', '99999999999', 'abc', '1e3']) });
    if (r.chance(0.5)) kv.push({ key: 'length', value: r.pick(['0', '-8', '18446744073709551615', 'x', '4']) });
    t.dataLocation = 1; t.externalData = kv.map(e => onnx.StringStringEntryProto.create(e)); delete t.rawData;
    return `initializer ${t.name} external data ${JSON.stringify(Object.fromEntries(kv.map(e => [e.key, e.value])))}`;
  }),
};

const MODEL_MUTATION_WEIGHTS = { truncate: 3, flip: 4, magic: 1, wireDelete: 4, wireDup: 1, deleteField: 4, dims: 4, attributes: 3, retype: 2, opType: 2, rewire: 2, opset: 1, externalData: 1 };

// ------------------------------------------------------------------------------------------------------------------
// .npy mutations

export function npyBytes({ descr = '<f4', fortran = 'False', shape = '(1, 3, 40, 40)', version = 1, data, headerLen, raw } = {}) {
  let header = raw ?? `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
  const pre = version === 1 ? 10 : 12;
  if (raw === undefined) header += ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64) + '\n';
  const h = Buffer.from(header, 'latin1');
  const out = Buffer.alloc(pre + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  if (version === 1) out.writeUInt16LE(headerLen ?? h.length, 8); else out.writeUInt32LE(headerLen ?? h.length, 8);
  out.set(h, pre); out.set(data, pre + h.length);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

const NPY_DESCRS = ['<f4', '>f4', '<f8', '<f2', '<i8', '<i4', '|i1', '|u1', '|b1', '<U4', '|O', '<c8', '|V16', '', "f4", '<f4\u0000'];
const NPY_SHAPES = ['(1, 3, 40, 40)', '()', '(4800,)', '(-1,)', '(1, 3, 40, -40)', '(1, 3, 40, 40000000000)', '(99999999999999999999,)', '(1e3,)',
  '(0,)', '(1, 3, 40, 40,)', '(nan,)', '((1, 2),)', '(1, 3, 40, 40) garbage', '(', '[1, 3, 40, 40]', '(1,3,40,40)', '(0x10,)', '(1_0,)',
  '(4294967296, 4294967296)', `(${Array(64).fill(1).join(', ')},)`, '(1, 3, 40.0, 40)', '( 1 , 3 , 40 , 40 )'];

export const NPY_MUTATIONS = {
  header(r) {
    const descr = r.chance(0.5) ? '<f4' : r.pick(NPY_DESCRS);
    const shape = r.chance(0.3) ? '(1, 3, 40, 40)' : r.pick(NPY_SHAPES);
    const fortran = r.pick(['False', 'False', 'True', 'None', '0', 'false']);
    const version = r.pick([1, 1, 2, 3, 0, 255]);
    const bytesPer = { '<f8': 8, '<i8': 8, '<c8': 8, '<f2': 2, '|i1': 1, '|u1': 1, '|b1': 1, '|V16': 16 }[descr] ?? 4;
    const n = r.chance(0.7) ? 4800 * bytesPer : r.int(0, 4800 * bytesPer * 2);
    const data = new Uint8Array(n); for (let i = 0; i < n; i += 7) data[i] = r.int(0, 256);
    return { bytes: npyBytes({ descr, shape, fortran, version, data }), what: `npy v${version} descr=${JSON.stringify(descr)} shape=${shape} fortran=${fortran} data=${n}B` };
  },
  headerLen(r) {
    const len = r.pick([0, 1, 9, 65535, 0xffffffff, 0x7fffffff, 128]);
    const version = r.pick([1, 2]);
    return { bytes: npyBytes({ version, headerLen: Math.min(len, version === 1 ? 0xffff : 0xffffffff), data: new Uint8Array(4800 * 4) }), what: `npy v${version} header length field := ${len}` };
  },
  rawHeader(r) {
    const raw = r.pick(["{}", "{'descr': '<f4'}", "{'descr': '<f4', 'fortran_order': False}", 'not a dict', "{'shape': (1, 3, 40, 40), 'descr': '<f4', 'fortran_order': False}\n",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 40, 40), 'shape': (2,), }\n", '\u00ff'.repeat(100), "{'descr': \"<f4\", 'fortran_order': False, 'shape': (1, 3, 40, 40)}\n"]);
    return { bytes: npyBytes({ raw, data: new Uint8Array(4800 * 4) }), what: `npy raw header ${JSON.stringify(raw.slice(0, 60))}` };
  },
  truncate(r) {
    const full = npyBytes({ data: new Uint8Array(4800 * 4) });
    const at = r.chance(0.5) ? r.int(0, 140) : r.int(0, full.length);
    return { bytes: full.slice(0, at), what: `npy truncated to ${at} of ${full.length}` };
  },
  flip(r) {
    const full = npyBytes({ data: new Uint8Array(4800 * 4) });
    const n = r.int(1, 6); const pos = [];
    for (let i = 0; i < n; i++) { const p = r.int(0, 128); const x = r.int(1, 256); full[p] ^= x; pos.push(`${p}^0x${x.toString(16)}`); }
    return { bytes: full, what: `npy header flips ${pos.join(' ')}` };
  },
  magic(r) {
    const m = Uint8Array.from(r.pick(MAGICS));
    return { bytes: concat([m, new Uint8Array(r.int(0, 64))]), what: `npy replaced by magic [${[...m]}]` };
  },
};
const NPY_MUTATION_WEIGHTS = { header: 5, headerLen: 2, rawHeader: 2, truncate: 2, flip: 3, magic: 1 };

const weighted = (r, weights) => {
  const total = Object.values(weights).reduce((s, w) => s + w, 0);
  let x = r() * total;
  for (const [k, w] of Object.entries(weights)) { if ((x -= w) < 0) return k; }
  return Object.keys(weights)[0];
};

// ------------------------------------------------------------------------------------------------------------------
// cases

/**
 * The case for `seed`: which fixture, which mutation(s), the file's bytes and the CLI arguments (with `FILE` / `NPY`
 * standing for where the harness writes it). One in six cases is a malformed .npy input for an intact model.
 */
export function makeCase(seed, fixtures) {
  const r = rng(seed);
  if (r.chance(1 / 6)) {
    const kind = weighted(r, NPY_MUTATION_WEIGHTS);
    const m = NPY_MUTATIONS[kind](r);
    return { seed, kind: 'npy', ext: '.npy', bytes: m.bytes, what: `${kind}: ${m.what}`, args: ['check', NPY_TARGET.file, '--input', `${NPY_TARGET.input}=NPY`, '--json', '--samples', '1'] };
  }
  const fx = fixtures[weighted(r, Object.fromEntries(fixtures.map((f, i) => [i, f.weight])))];
  let bytes = fx.bytes;
  const whats = [];
  const rounds = r.chance(0.2) ? r.int(2, 4) : 1;
  for (let i = 0; i < rounds; i++) {
    const kind = weighted(r, MODEL_MUTATION_WEIGHTS);
    let m = null;
    try { m = MODEL_MUTATIONS[kind](bytes, r); } catch (e) {
      // an earlier round broke the bytes beyond decoding: schema-level mutations no longer apply
      whats.push(`${kind}: n/a (${String(e.message).split('\n')[0].slice(0, 60)})`);
      continue;
    }
    if (m) { bytes = m.bytes; whats.push(`${kind}: ${m.what}`); } else whats.push(`${kind}: n/a`);
  }
  const layers = r.chance(0.08) ? ['--layers'] : [];
  return { seed, kind: 'model', ext: '.onnx', fixture: fx.file, bytes, what: `${fx.file} ${whats.join('; ')}`, args: ['check', 'FILE', ...fx.args, '--json', '--samples', '1', ...layers] };
}

export function caseArgs(c, path) {
  return c.args.map(a => (a === 'FILE' ? path : a.replace(/=NPY$/, `=${path}`)));
}

/** Write the case into `dir` and return the argv for main() (`node msport ...`). */
export function materialize(c, dir) {
  const path = join(dir, `case-${c.seed}${c.ext}`);
  writeFileSync(path, c.bytes);
  return { path, argv: ['node', 'msport', ...caseArgs(c, path)] };
}

// ------------------------------------------------------------------------------------------------------------------
// running and judging

/**
 * Run main(argv) in-process with stdout/stderr captured (and the listeners main adds to process.stdout removed
 * afterwards). Never throws: an uncaught throw is part of the outcome.
 */
export async function runInProcess(main, argv) {
  const out = [], err = [];
  const ow = process.stdout.write, ew = process.stderr.write;
  const listeners = process.stdout.listeners('error');
  const exitCode = process.exitCode;
  process.stdout.write = (chunk, ...rest) => { out.push(String(chunk)); const cb = rest.find(x => typeof x === 'function'); if (cb) cb(); return true; };
  process.stderr.write = (chunk, ...rest) => { err.push(String(chunk)); const cb = rest.find(x => typeof x === 'function'); if (cb) cb(); return true; };
  const t0 = performance.now();
  let code = null, threw = null;
  try { code = await main(argv); } catch (e) { threw = e; } finally {
    process.stdout.write = ow; process.stderr.write = ew;
    for (const l of process.stdout.listeners('error')) if (!listeners.includes(l)) process.stdout.removeListener('error', l);
    process.exitCode = exitCode;
  }
  return { code, stdout: out.join(''), stderr: err.join(''), threw, ms: performance.now() - t0 };
}

/** Problems with an outcome, judged against the README contract; [] when it is fine. */
export function judge(res) {
  const problems = [];
  if (res.threw) return [`uncaught throw: ${String(res.threw?.stack ?? res.threw).split('\n').slice(0, 3).join(' | ')}`];
  if (![0, 1, 2, 3].includes(res.code)) problems.push(`exit code ${res.code}`);
  const lines = res.stdout.split('\n').filter(Boolean);
  let j = null;
  if (lines.length !== 1) problems.push(`stdout has ${lines.length} lines, expected one JSON object`);
  else {
    try { j = JSON.parse(lines[0]); } catch { problems.push('stdout is not JSON'); }
  }
  if (/\n\s+at /.test(res.stderr)) problems.push('stack trace on stderr');
  if (j) {
    if (res.code === 0 || res.code === 1) {
      if (!Array.isArray(j.outputs)) problems.push('a completed check without outputs');
      if (j.passed !== (res.code === 0)) problems.push(`passed=${j.passed} with exit code ${res.code}`);
    } else if (res.code !== null) {
      if (!j.error || typeof j.error.message !== 'string') problems.push('an error without error.message');
      else if (j.error.message.includes('\n')) problems.push('error.message spans lines');
      if (res.code === 3 && !Array.isArray(j.unsupported)) problems.push('exit 3 without unsupported[]');
    }
  }
  const errLines = res.stderr.split('\n').filter(Boolean);
  if (res.code === 2 || res.code === 4) {
    if (errLines.length !== 1) problems.push(`stderr has ${errLines.length} lines, expected one`);
  }
  if (res.code === 3 && !/^msport: the model uses \d+ unsupported operator/.test(errLines[0] ?? '')) problems.push('exit 3 without the unsupported-operator list');
  return problems;
}

/** One line for the outcome: `exit 2: msport: error: ...` */
export function outcomeLine(res) {
  if (res.threw) return `throw: ${String(res.threw?.message ?? res.threw).split('\n')[0]}`;
  const first = res.stderr.split('\n').find(Boolean) ?? '';
  return `exit ${res.code}${first ? `: ${first.slice(0, 200)}` : ''}`;
}
