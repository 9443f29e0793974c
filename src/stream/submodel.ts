/**
 * One block of a streamed model as an ONNX model of its own: the block's nodes, its inputs (values the blocks before
 * it computed, typed from the values themselves), the outputs later blocks or the model read (and, for --layers,
 * every value it computes), and the initializers its nodes read — still pointing into the model's external data, so
 * onnxruntime and msport each read only this block's weights, and only while it runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { externalLocations, linkDataFiles } from '../compare/reference-model.js';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { DTYPE_TO_ONNX, type OnnxModel } from '../onnx/proto.js';
import type { Tensor } from '../runtime/tensor.js';
import { UsageError } from '../errors.js';
import type { Block } from './partition.js';
import { upcastModelGraph } from '../onnx/bfloat16.js';

const { onnx } = onnxProto;

/** A folder for a streamed run's block models, with hard links to the model's external data files. */
export class BlockFolder {
  readonly dir: string;
  private readonly proto: onnxProto.onnx.ModelProto;
  private readonly index: Map<object, number>;
  constructor(private readonly model: OnnxModel) {
    if (!model.path) throw new UsageError('--stream reads a model from a file');
    this.proto = onnx.ModelProto.decode(Buffer.from(model.bytes.buffer, model.bytes.byteOffset, model.bytes.byteLength));
    this.index = new Map(model.graph.nodes.map((n, i) => [n, i]));
    this.dir = mkdtempSync(join(tmpdir(), 'msport-stream-'));
    try {
      linkDataFiles(dirname(resolve(model.path)), externalLocations(this.proto), this.dir);
    } catch (e) {
      this.dispose();
      throw new UsageError(`--stream links the model's external data into ${tmpdir()} and could not: ${(e as Error).message} (set TMPDIR to a folder on the model's filesystem)`);
    }
  }

  /** The values a block reads that it does not compute (and that are not initializers): its inputs. */
  blockInputs(block: Block): string[] {
    const produced = new Set(block.nodes.flatMap(n => n.outputs));
    const inits = this.model.graph.initializers;
    const out: string[] = [];
    for (const n of block.nodes) for (const i of [...n.inputs, ...(n.captures ?? [])]) if (i && !produced.has(i) && !inits.has(i) && !out.includes(i)) out.push(i);
    return out;
  }

  /** Write block `k` as a model: inputs typed from `values`, outputs `outputs`. Returns its path. */
  write(k: number, block: Block, values: ReadonlyMap<string, Tensor>, outputs: readonly string[]): string {
    const g = this.proto.graph!;
    const nodes = block.nodes.map(n => g.node![this.index.get(n)!]!);
    const read = new Set(block.nodes.flatMap(n => [...n.inputs, ...(n.captures ?? [])]));
    const inputs = this.blockInputs(block).map(name => {
      const t = values.get(name);
      if (!t) throw new Error(`stream: block ${block.name} reads ${name}, which no block before it computed`);
      return { name, type: { tensorType: { elemType: DTYPE_TO_ONNX[t.dtype], shape: { dim: t.shape.map(d => ({ dimValue: d })) } } } };
    });
    const m = onnx.ModelProto.create({
      irVersion: this.proto.irVersion, producerName: this.proto.producerName, producerVersion: this.proto.producerVersion,
      opsetImport: this.proto.opsetImport, functions: this.proto.functions, metadataProps: this.proto.metadataProps,
      graph: {
        name: `${g.name ?? 'graph'}_${k}`, node: nodes, input: inputs, output: outputs.map(name => ({ name })),
        initializer: (g.initializer ?? []).filter(t => read.has(t.name ?? '')),
        valueInfo: (g.valueInfo ?? []).filter(v => read.has(v.name ?? '') || outputs.includes(v.name ?? '')),
      },
    });
    // a bfloat16 model runs as its float32 upcast (onnx/bfloat16.ts): this block's tensors converted into a data file of
    // its own (the graph's objects are the model's, so a tensor two blocks read is converted once)
    if (this.model.upcastFrom) upcastModelGraph(m.graph!, dirname(resolve(this.model.path!)), this.dir, `block_${k}.upcast.data`);
    const file = join(this.dir, `block_${k}.onnx`);
    writeFileSync(file, onnx.ModelProto.encode(m).finish());
    return file;
  }

  dispose(): void { rmSync(this.dir, { recursive: true, force: true }); }
}
