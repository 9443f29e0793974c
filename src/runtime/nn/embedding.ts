import { Cell } from '../cell.js';
import { Parameter } from '../parameter.js';
import { Tensor, setElem } from '../tensor.js';
import { DType, msDTypeName } from '../dtype.js';
import { initTensor } from '../initializer.js';
import type { InitSpec } from './norm.js';
import * as ops from '../functional.js';
import { args, raw, type CellCall } from './pycall.js';

export interface EmbeddingOptions {
  useOneHot?: boolean;
  /** initializer of the table; MindSpore's default 'normal' is Normal(sigma=0.01) (PyTorch: N(0, 1)) */
  embeddingTable?: InitSpec;
  dtype?: DType;
  paddingIdx?: number | null;
}

/**
 * nn.Embedding(vocab_size, embedding_size, use_one_hot=False, embedding_table='normal', dtype=float32,
 * padding_idx=None) (reference §6): Parameter `embedding_table` [vocab_size, embedding_size]. The lookup is a Gather
 * of rows, or with use_one_hot a one-hot matrix times the table (ops.embedding). padding_idx zeroes
 * that row once at construction (embedding.py: `init_tensor[padding_idx] = 0`); it does not mask its gradient.
 * @example new Embedding(1000, 64)
 */
export class Embedding extends Cell {
  override emitCall(): CellCall {
    const pad = this.paddingIdx ?? raw('None');
    return {
      ms: `nn.Embedding(${args([this.vocabSize, this.embeddingSize], [['use_one_hot', this.useOneHot, false], ['padding_idx', pad, raw('None')]])})`,
      torch: `nn.Embedding(${args([this.vocabSize, this.embeddingSize], [['padding_idx', pad, raw('None')]])})`,
      values: {},
    };
  }

  readonly vocabSize: number; readonly embeddingSize: number; readonly useOneHot: boolean;
  readonly dtype: DType; readonly paddingIdx: number | null;
  embedding_table: Parameter;

  constructor(vocabSize: number, embeddingSize: number, opts: EmbeddingOptions = {}) {
    super();
    for (const [what, v] of [['vocab_size', vocabSize], ['embedding_size', embeddingSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Embedding: ${what} must be a positive int, got ${v}`);
    }
    this.vocabSize = vocabSize; this.embeddingSize = embeddingSize;
    this.useOneHot = opts.useOneHot ?? false;
    this.dtype = opts.dtype ?? 'float32';
    this.paddingIdx = opts.paddingIdx ?? null;
    const table = initTensor(opts.embeddingTable ?? 'normal', [vocabSize, embeddingSize], this.dtype);
    if (this.paddingIdx !== null) {
      if (!Number.isInteger(this.paddingIdx) || this.paddingIdx < 0 || this.paddingIdx >= vocabSize) {
        throw new Error(`Embedding: padding_idx must be an int in [0, ${vocabSize}), got ${this.paddingIdx}`);
      }
      for (let j = 0; j < embeddingSize; j++) setElem(table.data, this.paddingIdx * embeddingSize + j, 0);
    }
    this.embedding_table = new Parameter(table, 'embedding_table');
  }

  /** ids: an integer tensor of any shape; returns ids.shape + [embedding_size]. */
  construct(ids: Tensor): Tensor { return ops.embedding(ids, this.embedding_table, this.useOneHot); }

  override extendRepr(): string {
    return `vocab_size=${this.vocabSize}, embedding_size=${this.embeddingSize}, use_one_hot=${this.useOneHot ? 'True' : 'False'}, ` +
      `embedding_table=${this.embedding_table}, dtype=${msDTypeName[this.dtype]}, padding_idx=${this.paddingIdx ?? 'None'}`;
  }
}
