/** `msport inspect` as a library call: the Cell tree a port will have, every Parameter, and how each node maps. */
import { modelFromFile } from './onnx/proto.js';
import { importModel } from './onnx/import.js';
import { msDTypeName } from './runtime/dtype.js';

export interface InspectResult {
  model: string;
  producer: string;
  irVersion: number;
  opsets: Record<string, number>;
  inputs: { name: string; dtype: string; dims: (number | string)[] | null }[];
  outputs: { name: string; dtype: string; dims: (number | string)[] | null }[];
  /** MindSpore print(net) of the imported tree */
  repr: string;
  cells: { name: string; msApi: string; torchApi: string | null; node: string }[];
  parameters: { name: string; shape: number[]; dtype: string; requiresGrad: boolean; onnx: string | null }[];
  functionalOps: { msApi: string; count: number }[];
  /** module scopes that run as functional ops because MindSpore has no single Cell for them (attention internals, ...) */
  functionalScopes: { scope: string; ops: { msApi: string; count: number }[] }[];
  /** what the exporter did to the module structure (folded BatchNorms, shared initializers) */
  exportNotes: import('./onnx/import.js').ExportNote[];
}

export function inspect(modelPath: string): InspectResult {
  const model = modelFromFile(modelPath);
  const { network, boundParams, exportNotes } = importModel(model);
  // an optimizer-made constant (torch 2.9+ exports) is shown by the state_dict entry it was folded from
  const source = (init: string): string => {
    const from = model.graph.foldedFrom.get(init);
    return from && from.length === 1 ? `${from[0]} (as ${init})` : init;
  };
  const initOf = new Map([...boundParams].map(([param, init]) => [param.name, source(init)]));
  const funcs = new Map<string, number>();
  for (const s of network.allSteps) if (!s.cellName) funcs.set(s.msApi, (funcs.get(s.msApi) ?? 0) + 1);
  const vi = (v: { name: string; dtypeName: string; dims: (number | string)[] | null }) => ({ name: v.name, dtype: v.dtypeName, dims: v.dims });
  return {
    model: modelPath,
    producer: model.producer,
    irVersion: model.irVersion,
    opsets: Object.fromEntries([...model.opsets].map(([k, v]) => [k || 'ai.onnx', v])),
    inputs: model.graph.inputs.map(vi),
    outputs: model.graph.outputs.map(vi),
    repr: network.toString(),
    cells: network.allSteps.filter(s => s.cellName && !s.call).map(s => ({ name: s.cellName!, msApi: s.msApi, torchApi: s.torchApi, node: s.node.name })),
    parameters: network.parametersAndNames().map(([name, p]) => ({
      name, shape: [...p.shape], dtype: msDTypeName[p.dtype], requiresGrad: p.requiresGrad, onnx: initOf.get(name) ?? null,
    })),
    functionalOps: [...funcs].map(([msApi, count]) => ({ msApi, count })).sort((a, b) => b.count - a.count),
    functionalScopes: functionalScopes(network.allSteps),
    exportNotes,
  };
}

function functionalScopes(steps: { scope: string; cellName: string | null; msApi: string; node: { opType: string } }[]) {
  const byScope = new Map<string, Map<string, number>>();
  for (const s of steps) {
    if (s.cellName || !s.scope) continue;
    const m = byScope.get(s.scope) ?? byScope.set(s.scope, new Map()).get(s.scope)!;
    m.set(s.msApi, (m.get(s.msApi) ?? 0) + 1);
  }
  return [...byScope].map(([scope, m]) => ({ scope, ops: [...m].map(([msApi, count]) => ({ msApi, count })).sort((a, b) => b.count - a.count) }));
}
