/**
 * How a Cell of the imported tree is written as a call: the MindSpore call a user would type and the PyTorch call it
 * came from. Each Cell class writes its own (`Cell.emitCall`, beside the class in src/runtime/nn); inspect, report,
 * the bridge and convert read calls only through here.
 */
import type { Cell } from '../runtime/cell.js';
import type { CellCall } from '../runtime/nn/pycall.js';

export type { CellCall };

/** The call for a Cell; a class that cannot write itself says so instead of printing something that would not run. */
export function callOf(cell: Cell): CellCall {
  return cell.emitCall() ?? { ms: `nn.${cell.clsName}(…)  # msport cannot write this call yet`, torch: '?', values: {} };
}
