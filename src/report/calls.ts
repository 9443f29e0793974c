/**
 * How a Cell of the imported tree is written as a call: the MindSpore call a user would type and the PyTorch call it
 * came from. Each Cell class writes its own (`Cell.emitCall`, beside the class in src/runtime/nn); inspect, report,
 * the bridge and convert read calls only through here. A Cell whose Parameters are float16 (a half-precision export)
 * is written as MindSpore builds it in float16, as its mapping rule says (`float16`).
 */
import type { Cell } from '../runtime/cell.js';
import type { CellCall } from '../runtime/nn/pycall.js';
import { allRules } from '../mappings/index.js';

export type { CellCall };

const float16By = new Map(allRules.filter(r => r.kind === 'cell' && r.float16).map(r => [r.ms.replace(/^mindspore\.nn\./, ''), r.float16!]));

/** The call for a Cell; a class that cannot write itself says so instead of printing something that would not run. */
export function callOf(cell: Cell): CellCall {
  const call = cell.emitCall() ?? { ms: `nn.${cell.clsName}(…)  # msport cannot write this call yet`, torch: '?', values: {} };
  const half = [...cell._params.values()].some(p => p.dtype === 'float16');
  const how = half ? float16By.get(cell.clsName) : undefined;
  if (!how || !call.ms.endsWith(')')) return call;
  const shape = how.zerosOf ? cell._params.get(how.zerosOf)?.shape : undefined;
  const value = how.zerosOf ? `ms.ops.zeros((${shape!.join(', ')}${shape!.length === 1 ? ',' : ''}), ms.float16)` : 'ms.float16';
  const open = call.ms.endsWith('()') ? '' : ', ';
  return { ...call, ms: `${call.ms.slice(0, -1)}${open}${how.arg}=${value})` };
}
