import { Cell, CellOutput } from '../cell.js';
import { Tensor } from '../tensor.js';
import * as ops from '../functional.js';

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
  constructor(readonly startDim = 1, readonly endDim = -1) { super(); }
  construct(x: Tensor): Tensor { return ops.flatten(x, this.startDim, this.endDim); }
}

export class Identity extends Cell {
  construct(x: Tensor): Tensor { return x; }
}

/**
 * nn.Dropout(keep_prob=0.5, p=None): `p` is the drop probability (PyTorch meaning) and wins when given; the Cell is the
 * identity in predict phase, which is the phase MindSpore Cells start in.
 */
export class Dropout extends Cell {
  readonly p: number;
  constructor(opts: { keepProb?: number; p?: number } = {}) {
    super();
    this.p = opts.p ?? 1 - (opts.keepProb ?? 0.5);
    if (this.p < 0 || this.p >= 1) throw new Error(`Dropout: p must be in [0, 1), got ${this.p}`);
  }
  construct(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    throw new Error('Dropout in train phase is part of the training runtime (issue 4); call setTrain(false)');
  }
  override extendRepr(): string { return `p=${this.p}`; }
}
