import type { Cell } from '../../runtime/cell.js';
import { Parameter } from '../../runtime/parameter.js';
import type { Tensor } from '../../runtime/tensor.js';
import { msParamName, rule, TorchApi } from '../../mappings/index.js';
import type { Built, BuildCtx } from '../handler.js';
import { fail } from '../handler.js';

/**
 * Build a Cell step: `weights` pairs a node input with the PyTorch parameter it carries; the mapping rule's
 * parameter renames give the MindSpore Parameter it is loaded into (`running_var` → `moving_variance`).
 */
export function cellStep(ctx: BuildCtx, api: TorchApi, cell: Cell, weights: [input: number, torchParam: string, value?: Tensor][], runtimeInputs = [0]): Built {
  const bound: { input: number; param: string }[] = [];
  // float16 weights (a half-precision export) go into the Cell as MindSpore builds it in float16 (the rule's `float16`:
  // every float Parameter float16), not cast to float32 as set_data into a float32 Cell would
  const half = weights.some(([i, , o]) => (o ?? ctx.constant(i))?.dtype === 'float16');
  if (half && rule(api).float16) for (const p of cell._params.values()) if (p.dtype === 'float32') p.setDtype('float16');
  for (const [i, torchParam, override] of weights) {
    const value = override ?? ctx.constant(i);
    if (!value) fail(ctx.node, `input ${i} (${torchParam}) must be a constant to build ${api}`);
    const msName = msParamName(api, torchParam);
    const p = (cell as unknown as Record<string, unknown>)[msName];
    if (!(p instanceof Parameter)) fail(ctx.node, `${cell.clsName} has no Parameter '${msName}' for ${api}.${torchParam}`);
    p.setData(value);
    bound.push({ input: i, param: msName });
  }
  return { kind: 'cell', api, cell, runtimeInputs, bound };
}
