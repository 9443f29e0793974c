/**
 * Control flow. A MindSpore port writes ONNX's If and Loop as Python `if` / `while` in `construct` (PyNative runs them
 * as Python; graph mode compiles them): each subgraph is imported as a Body whose Cells sit in the network's one Cell
 * tree, and the node's step runs the branch the condition picks, or the body while the loop goes on.
 */
import * as ops from '../../runtime/functional.js';
import { Tensor } from '../../runtime/tensor.js';
import type { OnnxOpHandler } from '../handler.js';
import { fail } from '../handler.js';
import { runBody, type Body } from '../network.js';

/** A scalar condition: ONNX requires one element (bool); any other count is a bad model. */
function truth(t: Tensor | undefined, what: string): boolean {
  if (!t) throw new Error(`${what} is missing`);
  if (t.size !== 1) throw new Error(`${what} must hold one element, got shape [${t.shape.join(', ')}]`);
  return t.get(0) !== 0;
}

/** The enclosing values a subgraph reads, by name, from the values after the node's own inputs. */
function captured(names: readonly string[], values: (Tensor | undefined)[]): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  names.forEach((n, k) => { if (values[k]) m.set(n, values[k]!); });
  return m;
}

export const controlHandlers: OnnxOpHandler[] = [
  {
    opType: 'If',
    versions: {
      1: ctx => {
        const then = ctx.subgraph('then_branch'), otherwise = ctx.subgraph('else_branch');
        if (then.outputNames.length !== otherwise.outputNames.length || then.outputNames.length !== ctx.node.outputs.length) {
          fail(ctx.node, `then_branch gives ${then.outputNames.length} outputs and else_branch ${otherwise.outputNames.length}, the node ${ctx.node.outputs.length}`);
        }
        const names = ctx.node.captures ?? [];
        return { kind: 'op', ms: 'if', bodies: [then, otherwise],
          run: ([cond, ...outer]) => runBody(truth(cond, 'the If condition') ? then : otherwise, captured(names, outer)) };
      },
    },
  },
  {
    // Loop(M?, cond?, v_initial...) with body(i, cond, v...) → (cond, v..., scan...): runs while i < M and cond hold;
    // the final carried values, then each scan output stacked along a new first axis
    opType: 'Loop',
    versions: {
      1: ctx => {
        const body = ctx.subgraph('body');
        const nCarried = ctx.node.inputs.length - 2;
        const nScan = body.outputNames.length - 1 - nCarried;
        if (nCarried < 0 || body.inputNames.length !== nCarried + 2 || nScan < 0) {
          fail(ctx.node, `body takes ${body.inputNames.length} inputs and gives ${body.outputNames.length} outputs for ${Math.max(0, nCarried)} carried values`);
        }
        const names = ctx.node.captures ?? [];
        const nInputs = ctx.node.inputs.length;
        return { kind: 'op', ms: 'while', bodies: [body], run: xs => runLoop(body, xs.slice(0, nInputs), captured(names, xs.slice(nInputs)), nCarried, nScan) };
      },
    },
  },
];

function runLoop(body: Body, [m, cond, ...initial]: (Tensor | undefined)[], outer: Map<string, Tensor>, nCarried: number, nScan: number): Tensor[] {
  const tripCount = m ? Number(m.item()) : Infinity;
  let go = cond ? truth(cond, 'the Loop condition') : true;
  let carried = initial.map((t, k) => { if (!t) throw new Error(`carried value ${k} is missing`); return t; });
  const scans: Tensor[][] = Array.from({ length: nScan }, () => []);
  for (let i = 0; i < tripCount && go; i++) {
    const bound = new Map(outer);
    const [iName, cName, ...vNames] = body.inputNames;
    if (iName) bound.set(iName, Tensor.scalar(i, 'int64'));
    if (cName) bound.set(cName, Tensor.scalar(go ? 1 : 0, 'bool'));
    vNames.forEach((n, k) => { if (n) bound.set(n, carried[k]!); });
    const outs = runBody(body, bound);
    go = truth(outs[0], 'the Loop body condition');
    carried = outs.slice(1, 1 + nCarried);
    outs.slice(1 + nCarried).forEach((t, k) => scans[k]!.push(t));
  }
  // a scan output of a loop that never ran has no element shape to take: an empty 1-D tensor
  return [...carried, ...scans.map(s => (s.length ? ops.stack(s, 0) : Tensor.zeros([0])))];
}
