/** The two engines behind one interface (Polygraphy's runners): onnxruntime is the reference, the Cell runtime is checked. */
import * as ort from 'onnxruntime-node';
import { Tensor } from '../runtime/tensor.js';
import { DType, float16BitsToNumber, numberToFloat16Bits } from '../runtime/dtype.js';
import { noGrad } from '../runtime/autograd.js';
import type { OnnxNetwork } from '../onnx/network.js';
import { ModelLoadError } from '../errors.js';

export interface Runner {
  name: string;
  infer(inputs: Map<string, Tensor>): Promise<Map<string, Tensor>>;
}

const ORT_TYPES: Partial<Record<DType, ort.Tensor.Type>> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', int8: 'int8', uint8: 'uint8', bool: 'bool', float16: 'float16' };

export function toOrt(t: Tensor): ort.Tensor {
  const type = ORT_TYPES[t.dtype];
  if (!type) throw new Error(`onnxruntime input of dtype ${t.dtype} is not supported`);
  // msport holds float16 values in a Float32Array; onnxruntime takes their binary16 bits
  if (t.dtype === 'float16') {
    const d = t.data as Float32Array, bits = new Uint16Array(d.length);
    for (let i = 0; i < d.length; i++) bits[i] = numberToFloat16Bits(d[i]!);
    return new ort.Tensor('float16', bits, [...t.shape]);
  }
  return new ort.Tensor(type, t.data as never, [...t.shape]);
}

export function fromOrt(t: ort.Tensor): Tensor {
  const dims = [...t.dims];
  switch (t.type) {
    case 'float32': return new Tensor(t.data as Float32Array, dims, 'float32');
    case 'float64': return new Tensor(t.data as Float64Array, dims, 'float64');
    case 'int64': return new Tensor(t.data as BigInt64Array, dims, 'int64');
    case 'int32': return new Tensor(t.data as Int32Array, dims, 'int32');
    case 'int8': return new Tensor(t.data as Int8Array, dims, 'int8');
    case 'uint8': return new Tensor(t.data as Uint8Array, dims, 'uint8');
    case 'bool': return new Tensor(Uint8Array.from(t.data as Uint8Array), dims, 'bool');
    case 'float16': {
      // binary16 bits (Uint16Array; Float16Array where Node has it) as the float32 values msport holds them in
      const d = t.data as unknown as ArrayLike<number>, out = new Float32Array(d.length);
      const bits = t.data instanceof Uint16Array;
      for (let i = 0; i < d.length; i++) out[i] = bits ? float16BitsToNumber(d[i]!) : d[i]!;
      return new Tensor(out, dims, 'float16');
    }
    default: throw new Error(`onnxruntime output of type ${t.type} is not supported`);
  }
}

/** The bytes as onnxruntime-node takes them: it refuses a view on shared memory (a model read into kernel memory). */
export function ortBytes(bytes: Uint8Array): Uint8Array {
  return bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes;
}

/** onnxruntime-node on the model's own bytes: what PyTorch computed, as exported. */
export class OrtRunner implements Runner {
  readonly name = 'onnxruntime';
  private constructor(private readonly session: ort.InferenceSession) {}

  /** From the model's bytes, or its path (onnxruntime then reads the file itself, external data included). */
  static async create(model: Uint8Array | string, opts: { threads?: number } = {}): Promise<OrtRunner> {
    try {
      const session = await ort.InferenceSession.create(typeof model === 'string' ? model as never : ortBytes(model), { intraOpNumThreads: opts.threads ?? 0, graphOptimizationLevel: 'all', logSeverityLevel: 4 });
      return new OrtRunner(session);
    } catch (e) {
      throw new ModelLoadError(`onnxruntime cannot load the model: ${firstLine((e as Error).message)}`);
    }
  }

  async infer(inputs: Map<string, Tensor>): Promise<Map<string, Tensor>> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of inputs) feeds[k] = toOrt(v);
    let out: ort.InferenceSession.OnnxValueMapType;
    try { out = await this.session.run(feeds); } catch (e) {
      throw new ModelLoadError(`onnxruntime failed to run the model: ${firstLine((e as Error).message)}`);
    }
    return new Map(Object.entries(out).map(([k, v]) => [k, fromOrt(v as ort.Tensor)]));
  }

  /** Free onnxruntime's copy of the model now rather than whenever the garbage collector gets to it. */
  async release(): Promise<void> { await this.session.release(); }

  /** Load `model`, run every sample's feeds (each timed), release: the reference for one check. */
  static async runAll(model: Uint8Array | string, samples: Map<string, Tensor>[], opts: { threads?: number } = {}): Promise<{ outputs: Map<string, Tensor>[]; ms: number[] }> {
    const runner = await OrtRunner.create(model, opts);
    const outputs: Map<string, Tensor>[] = [], ms: number[] = [];
    try {
      for (const f of samples) {
        const t = performance.now();
        outputs.push(await runner.infer(f));
        ms.push(performance.now() - t);
      }
    } finally {
      await runner.release();
    }
    return { outputs, ms };
  }
}

/** The imported Cell tree on the built-in runtime. */
export class MsportRunner implements Runner {
  readonly name = 'msport';
  constructor(readonly network: OnnxNetwork) {}
  async infer(inputs: Map<string, Tensor>): Promise<Map<string, Tensor>> {
    const outs = noGrad(() => this.network.execute(this.network.inputNames.map(n => inputs.get(n)!)));
    return new Map(this.network.outputNames.map((n, i) => [n, outs[i]!]));
  }
}

const firstLine = (s: string): string => s.split('\n')[0]!.trim();
