/**
 * The files `msport convert` writes beside the module: the generated unit test (the seed porting guide's check —
 * build the net, load the weights, compare with the reference outputs) and the README that says what was checked.
 */
import type { CheckResult } from '../check.js';
import type { OnnxNetwork } from '../onnx/network.js';
import { ScopeCell } from '../onnx/network.js';
import { callOf } from '../report/calls.js';
import { rule } from '../mappings/index.js';
import type { TorchApi } from '../mappings/index.js';

export interface PortInfo {
  model: string;
  name: string;
  className: string;
  weights: string;
  format: 'ckpt' | 'safetensors';
  atol: number;
  rtol: number;
  inputs: string[];
  outputs: string[];
  check: CheckResult;
  /** what the port's outputs are held to: onnxruntime's (data/expected_*), or msport's checked outputs (data/msport_*)
   * when the check accepted the difference from onnxruntime's as float noise (--accept-noise) */
  against?: 'onnxruntime' | 'msport';
}

/** A generated pytest-and-script test of the port in real MindSpore (exit 0 when every output is within tolerance). */
export function portTest(p: PortInfo): string {
  const load = p.format === 'safetensors' ? `ms.load_checkpoint(str(HERE / '${p.weights}'), format='safetensors')` : `ms.load_checkpoint(str(HERE / '${p.weights}'))`;
  // a net without Parameters has no weights file (MindSpore refuses to load an empty checkpoint)
  const loadLines = p.weights ? `    params = ${load}
    not_loaded, unused = ms.load_param_into_net(net, params, strict_load=True)
    if not_loaded or unused:
        print(f"checkpoint mismatch: not loaded {not_loaded}, unused {unused}")
        return 1
` : `    if net.parameters_dict():
        print("the net has Parameters but the port has no weights file")
        return 1
`;
  return `"""Test of the MindSpore port of ${p.model} (written by msport convert).

Builds ${p.className}, ${p.weights ? `loads ${p.weights} (every Parameter must load, every checkpoint entry must be used)` : 'which has no Parameters'}, runs the
inputs msport checked with (data/input_*.npy) and compares with ${p.against === 'msport'
    ? `the outputs of the Cell tree msport checked (data/msport_*.npy)
at atol=${p.atol}, rtol=${p.rtol}: msport check accepted its difference from onnxruntime's outputs of the PyTorch export
(data/expected_*.npy, printed beside) as ${p.check.localized?.message.split(':')[0] ?? 'float noise'}`
    : `onnxruntime's outputs of the PyTorch export
(data/expected_*.npy) at atol=${p.atol}, rtol=${p.rtol}`}. Run: python test_${p.name}.py   (or: pytest test_${p.name}.py)
"""
import pathlib
import sys

import numpy as np
import mindspore as ms

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from ${p.name} import ${p.className}  # noqa: E402

ATOL, RTOL = ${p.atol}, ${p.rtol}
AGAINST = '${p.against === 'msport' ? 'msport' : 'expected'}'
INPUTS = ${p.inputs.length}
OUTPUTS = ${p.outputs.length}


def main():
    ms.set_context(mode=ms.PYNATIVE_MODE)
    net = ${p.className}()
    net.set_train(False)
${loadLines}    inputs = [ms.Tensor(np.load(HERE / "data" / f"input_{i}.npy")) for i in range(INPUTS)]
    outs = net(*inputs)
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    if len(outs) != OUTPUTS:
        print(f"expected {OUTPUTS} outputs, got {len(outs)}")
        return 1
    ok = True
    for j, out in enumerate(outs):
        got, want = out.asnumpy(), np.load(HERE / "data" / f"{AGAINST}_{j}.npy")
        if got.shape != want.shape:
            print(f"output {j}: shape {got.shape}, expected {want.shape}  FAIL")
            ok = False
            continue
        diff = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))) if got.size else 0.0
        close = bool(np.allclose(got, want, atol=ATOL, rtol=RTOL, equal_nan=True))
        onnxruntime = ''
        if AGAINST != 'expected':
            ref = np.load(HERE / "data" / f"expected_{j}.npy")
            onnxruntime = f" (from onnxruntime's: {float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64)))):.3g})"
        print(f"output {j}: max abs diff {diff:.3g}{onnxruntime}  {'ok' if close else 'FAIL'}")
        ok = ok and close
    return 0 if ok else 1


def test_port():
    assert main() == 0


if __name__ == "__main__":
    sys.exit(main())
`;
}

/** The README of the port: how to run it, what msport checked, the API differences it applied, what it could not say. */
export function portReadme(p: PortInfo & { classes: string[]; network: OnnxNetwork }): string {
  const r = p.check;
  const explicit: string[] = [];
  const seen = new Set<string>();
  for (const s of p.network.steps) {
    if (!s.cell || s.cell instanceof ScopeCell || !s.torchApi || seen.has(s.cellName!)) continue;
    seen.add(s.cellName!);
    const ms = callOf(s.cell).ms;
    for (const d of rule(s.torchApi as TorchApi).defaults ?? []) {
      if (new RegExp(`\\b${d.arg}=`).test(ms)) explicit.push(`| \`${s.cellName}\` | \`${ms}\` | \`${d.arg}\` | ${d.note} |`);
    }
  }
  const notes = (r.exportNotes ?? []).map(n => `- ${n.message}`);
  return `# MindSpore port of ${p.model}

Written by \`msport convert\` from the Cell tree msport checked against onnxruntime (the reference: what PyTorch
computed). Plain MindSpore 2.10: nothing here imports msport.

| file | what it is |
|---|---|
| \`${p.name}.py\` | the network: ${p.classes.length} class${p.classes.length === 1 ? '' : 'es'} (${p.classes.map(c => `\`${c}\``).join(', ')}), root \`${p.className}\` |
${p.weights ? `| \`${p.weights}\` | the weights under their MindSpore names |\n` : ''}| \`test_${p.name}.py\` | builds the net, loads the weights, compares with onnxruntime's outputs |
| \`data/\` | the inputs msport checked with and onnxruntime's outputs (.npy) |

## Run
\`\`\`
pip install mindspore==2.10.0 numpy
python test_${p.name}.py
\`\`\`
\`\`\`python
import mindspore as ms
from ${p.name} import ${p.className}
net = ${p.className}()
${p.weights ? `ms.load_param_into_net(net, ms.load_checkpoint('${p.weights}'${p.format === 'safetensors' ? ", format='safetensors'" : ''}))\n` : ''}net.set_train(False)
\`\`\`

## What msport checked
Inputs ${r.inputs.map(i => `\`${i.name}\` ${i.dtype} (${i.shape.join(', ')})`).join(', ')} from seed ${r.seed}; tolerance atol ${r.atol}, rtol ${r.rtol}.

| output | max abs diff (msport's Cell runtime vs onnxruntime) | verdict |
|---|---|---|
${r.outputs.map(o => `| \`${o.name}\` | ${o.maxAbsDiff.toExponential(2)} | ${o.passed ? 'pass' : 'FAIL'} |`).join('\n')}

## API differences applied
${explicit.length ? `Arguments written out because MindSpore's default differs from PyTorch's:\n\n| Cell | call | argument | why |\n|---|---|---|---|\n${explicit.join('\n')}` : 'None of the layers needed an argument MindSpore defaults differently.'}

## What the export did not keep
${notes.length ? notes.join('\n') : 'Nothing msport detected.'}
- The classes follow the PyTorch modules of the export; modules called with no computation left (Dropout in eval,
  BatchNorm folded into a Conv) are absent, so checkpoint names skip their indices.
`;
}
