import { Cell, CellOutput } from '../cell.js';
import { Tensor } from '../tensor.js';
import * as ops from '../functional.js';
import { pyFloat, plainCall, type CellCall } from './pycall.js';

/** nn.SequentialCell: children named '0', '1', ... (or by the keys of a Map), run in order. */
export class SequentialCell extends Cell {
  constructor(cells: Cell[] | Map<string, Cell> = []) {
    super();
    const entries = cells instanceof Map ? [...cells] : cells.map((c, i) => [String(i), c] as const);
    for (const [k, c] of entries) this.insertChildToCell(k, c);
  }
  append(cell: Cell): this { this.insertChildToCell(String(this._cells.size), cell); return this; }
  get length(): number { return this._cells.size; }
  at(i: number): Cell { const c = [...this._cells.values()][i]; if (!c) throw new Error(`SequentialCell index ${i} out of range`); return c; }
  construct(...inputs: Tensor[]): CellOutput {
    let x: CellOutput = inputs.length === 1 ? inputs[0]! : inputs;
    for (const c of this._cells.values()) x = Array.isArray(x) ? c.call(...x) : c.call(x);
    return x;
  }
}

/** nn.CellList: an indexable list of Cells; it has no construct of its own. */
export class CellList extends Cell {
  constructor(cells: Cell[] = []) { super(); cells.forEach((c, i) => this.insertChildToCell(String(i), c)); }
  append(cell: Cell): this { this.insertChildToCell(String(this._cells.size), cell); return this; }
  at(i: number): Cell { const c = [...this._cells.values()][i]; if (!c) throw new Error(`CellList index ${i} out of range`); return c; }
  construct(): CellOutput { throw new Error('CellList is a container and cannot be called; call its members'); }
}

/** nn.Flatten(start_dim=1, end_dim=-1) — same defaults as torch.nn.Flatten. */
export class Flatten extends Cell {
  override emitCall(): CellCall { return plainCall('Flatten', 'Flatten'); }
  constructor(readonly startDim = 1, readonly endDim = -1) { super(); }
  construct(x: Tensor): Tensor { return ops.flatten(x, this.startDim, this.endDim); }
}

export class Identity extends Cell {
  override emitCall(): CellCall { return plainCall('Identity', 'Identity'); }
  construct(x: Tensor): Tensor { return x; }
}

/**
 * nn.Dropout(keep_prob=0.5, p=None) (reference §4; MindSpore nn/layer/basic.py): `p` is the drop probability (PyTorch
 * meaning) and, when given, wins — keep_prob is then ignored, and only checked (in (0, 1]) when p is None. In train
 * phase each element is zeroed with probability p and the kept ones scaled by 1/(1 − p), with the mask drawn from the
 * global seeded RNG; in predict phase, where MindSpore Cells start, it is the identity. The repr shows `p=` when p
 * was given and `keep_prob=` otherwise, as MindSpore's does.
 */
export class Dropout extends Cell {
  override emitCall(): CellCall { return { ms: `nn.Dropout(p=${this.p})`, torch: `nn.Dropout(p=${this.p})`, values: {} }; }
  /** the drop probability in effect */
  readonly p: number;
  readonly keepProb: number;
  private readonly pGiven: boolean;
  constructor(opts: { keepProb?: number; p?: number } = {}) {
    super();
    this.pGiven = opts.p !== undefined && opts.p !== null;
    if (this.pGiven) {
      if (!(opts.p! >= 0 && opts.p! < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${opts.p}`);
      this.p = opts.p!;
      this.keepProb = opts.keepProb ?? 0.5;
    } else {
      this.keepProb = opts.keepProb ?? 0.5;
      if (!(this.keepProb > 0 && this.keepProb <= 1)) throw new Error(`Dropout: keep_prob must be in (0, 1], got ${this.keepProb}`);
      this.p = 1 - this.keepProb;
    }
  }
  construct(x: Tensor): Tensor { return ops.dropout(x, this.p, this.training); }
  override extendRepr(): string { return this.pGiven ? `p=${pyFloat(this.p)}` : `keep_prob=${pyFloat(this.keepProb)}`; }
}
