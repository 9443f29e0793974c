/**
 * `msport report`: the migration report for one model, computed from the Cell tree that was checked — every layer as
 * PyTorch and MindSpore calls, the arguments that must be explicit, the state_dict → MindSpore name table, and the
 * measured consequence of each mapping rule the model triggers.
 */
import { modelFromFile } from '../onnx/proto.js';
import { referenceSource } from '../compare/reference-model.js';
import { importModel } from '../onnx/import.js';
import { loadInputs } from '../compare/inputs.js';
import { OrtRunner } from '../compare/runners.js';
import { compareOutput, Tolerance } from '../compare/comparator.js';
import { compareLayers, LayerReport, layerName } from '../compare/layers.js';
import { allRules, findRule, MappingRule } from '../mappings/index.js';
import { isFloat } from '../runtime/dtype.js';
import { foldedSource, isStateDictKey } from '../onnx/scope.js';
import { noGrad } from '../runtime/autograd.js';
import { msDTypeName } from '../runtime/dtype.js';
import type { Tensor } from '../runtime/tensor.js';
import { callOf } from './calls.js';
import { baseline, measureRule, Outcome } from './measure.js';

export interface ReportOptions extends Tolerance { seed: number; shapes?: Map<string, number[]>; inputs?: Map<string, string> }

export interface ReportLayer {
  name: string; torchApi: string; msApi: string; torchCall: string; msCall: string;
  /** arguments this layer must pass explicitly because MindSpore's default would be wrong here */
  explicit: { arg: string; value: unknown; msDefault: unknown }[];
}

export interface ReportRule {
  torch: string; ms: string; arg: string; torchDefault: unknown; msDefault: unknown; effect: string; note: string;
  doc: string | null;
  /** layers of this model where the default difference matters */
  layers: string[];
  measured: Outcome;
}

export interface ReportFunction {
  torch: string; ms: string; doc: string | null; count: number; scopes: string[];
  /** argument renames (`dim` → `axis`), default differences, PyTorch arguments MindSpore lacks */
  args: { torch: string; ms: string }[];
  defaults: { arg: string; torch: unknown; ms: unknown; note: string }[];
  notSupported: string[];
  consequence: string;
}

export interface ReportData {
  model: string; atol: number; rtol: number; seed: number;
  passed: boolean; maxAbsDiff: number;
  layers: ReportLayer[];
  /** `shape` is MindSpore's; `torchShape` the state_dict tensor's where the export holds it as such (Conv1d's 3-D weight) */
  names: { torch: string; ms: string; shape: number[]; torchShape: number[]; dtype: string; derived: boolean;
    /** a state_dict entry MindSpore has no place for (BatchNorm's num_batches_tracked): the port drops it */
    dropped?: boolean }[];
  rules: ReportRule[];
  /**
   * Functional ops (no Cell) whose PyTorch function has an API difference in the mapping table: where they run and
   * what differs. Matched by the MindSpore API the step runs, or by op type where one table row alone exports to it.
   */
  functions: ReportFunction[];
  /**
   * Each layer in execution order: its difference chained (what a port computes), on the reference's inputs (its own
   * error: `local`), and its float32 noise floor (noise.ts); null where the layer has none (a scope).
   */
  perLayer: { name: string; kind: string; api: string; maxAbsDiff: number; local: number | null; noiseFloor: number | null; introducesError: boolean }[];
  /** the factor of the floor within which a layer's own difference is float noise */
  noiseFactor: number;
  firstDivergence: string | null;
  notes: string[];
}

const scalar = (v: unknown): unknown => (Array.isArray(v) && v.every(x => x === v[0]) ? v[0] : v);
/**
 * A layer must pass an argument explicitly when its value differs from MindSpore's default. Differences of
 * convention (a padding tuple's order, described rather than valued in the rule) have no comparable default.
 */
const differsFromDefault = (value: unknown, msDefault: unknown): boolean => {
  const v = scalar(value);
  return typeof v === typeof msDefault && JSON.stringify(v) !== JSON.stringify(msDefault);
};

export async function buildReport(modelPath: string, opts: ReportOptions): Promise<ReportData> {
  const model = modelFromFile(modelPath);
  const { network, boundParams, exportNotes } = importModel(model);
  const inputs = loadInputs(model.graph.inputs, { shapes: opts.shapes ?? new Map(), files: opts.inputs ?? new Map(), seed: opts.seed });
  const feeds = new Map<string, Tensor>(model.graph.inputs.map((v, i) => [v.name, inputs[i]!]));
  const src = referenceSource(model);
  const refOut = await OrtRunner.runAll(src.source, [feeds]).then(r => r.outputs[0]!).finally(() => src.dispose());
  const reference = network.outputNames.map(n => refOut.get(n)!);
  const base = baseline(network, inputs, reference);
  const ours = base.trace.outputs ?? noGrad(() => network.execute(inputs));
  const diffs = ours.map((o, i) => compareOutput(network.outputNames[i]!, reference[i]!, o, opts));
  const perLayer: LayerReport = await compareLayers(model, network, feeds, opts);

  const layers: ReportLayer[] = [];
  const used = new Map<string, { rule: MappingRule; all: string[]; byArg: Map<string, string[]>; convention: Set<string> }>();
  const cells = new Map(network.cellsAndNames());
  for (const step of network.allSteps) {
    // one row per Cell: a reused module's later calls add nothing to say
    if (!step.cellName || !step.torchApi || step.call) continue;
    const cell = cells.get(step.cellName)!;
    const rule = findRule(step.torchApi)!;
    const call = callOf(cell);
    const explicit = (rule.defaults ?? []).filter(d => d.arg in call.values && differsFromDefault(call.values[d.arg], d.ms))
      .map(d => ({ arg: d.arg, value: call.values[d.arg], msDefault: d.ms }));
    layers.push({ name: step.cellName, torchApi: step.torchApi, msApi: step.msApi, torchCall: call.torch, msCall: call.ms, explicit });
    const u = used.get(rule.torch) ?? used.set(rule.torch, { rule, all: [], byArg: new Map(), convention: new Set() }).get(rule.torch)!;
    u.all.push(step.cellName);
    for (const d of rule.defaults ?? []) {
      const l = u.byArg.get(d.arg) ?? u.byArg.set(d.arg, []).get(d.arg)!;
      if (explicit.some(e => e.arg === d.arg)) l.push(step.cellName);
      // a difference of convention (no comparable default value) concerns every layer of the API
      if (d.arg in call.values && typeof scalar(call.values[d.arg]) !== typeof d.ms) u.convention.add(d.arg);
    }
  }

  const rules: ReportRule[] = [];
  for (const { rule, all, byArg, convention } of used.values()) {
    for (const d of rule.defaults ?? []) {
      const affected = convention.has(d.arg) ? all : byArg.get(d.arg) ?? [];
      let measured: ReportRule['measured'];
      if (d.effect !== 'forward') measured = { outcome: 'not-measured', why: d.effect === 'training' ? 'changes training only (phase predict computes the same)' : 'changes only the initial weights; the checked model carries its own' };
      else if (!affected.length) measured = { outcome: 'not-measured', why: "every layer here already equals MindSpore's default" };
      else measured = measureRule(model, base, rule.torch, d.arg, opts);
      rules.push({ torch: rule.torch, ms: rule.ms, arg: d.arg, torchDefault: d.torch, msDefault: d.ms, effect: d.effect, note: d.note, doc: rule.doc ?? null, layers: affected, measured });
    }
  }

  // state_dict → MindSpore names; lost exporter names (onnx::Conv_12) are rebuilt from the Cell path and the rule
  const names: ReportData['names'] = [...boundParams].map(([p, init]) => {
    const msName = p.name;
    // the state_dict key, or the source an optimizer-made tensor (torch 2.9+: a Linear's transposed weight `val_500`)
    // was folded from; otherwise a name the exporter made (isStateDictKey), rebuilt from the Cell below
    const source = foldedSource(model.graph, init);
    const derived = !source && !isStateDictKey(init);
    let torch = source ?? init;
    if (derived) {
      const dot = msName.lastIndexOf('.');
      const cellName = msName.slice(0, dot), attr = msName.slice(dot + 1);
      const api = network.allSteps.find(s => s.cellName === cellName)?.torchApi;
      const renamed = api ? findRule(api)?.params?.find(q => q.ms === attr)?.torch : undefined;
      torch = `${cellName}.${renamed ?? attr}`;
    }
    // the initializer is the state_dict tensor itself when it carries its name: its shape is PyTorch's; an exporter-made
    // one (an RNN's packed W, an optimizer's transposed weight) is not, and the Parameter's shape is the PyTorch one then
    const own = !derived && !model.graph.foldedFrom.has(init) && model.graph.initializers.has(init);
    return { torch, ms: msName, shape: [...p.shape], torchShape: own ? [...model.graph.initializers.get(init)!.shape] : [...p.shape], dtype: msDTypeName[p.dtype], derived };
  });

  // state_dict entries PyTorch keeps and MindSpore has no place for, after the Cell's own rows: a converter drops them
  for (const l of layers) {
    for (const b of findRule(l.torchApi)?.torchOnlyBuffers ?? []) {
      const at = names.map(n => n.ms.startsWith(`${l.name}.`)).lastIndexOf(true);
      names.splice(at + 1, 0, { torch: `${l.name}.${b}`, ms: '', shape: [], torchShape: [], dtype: 'Int64', derived: false, dropped: true });
    }
  }

  // functional steps → the functional rows of the mapping table (ops that are Cells are in `layers`)
  const fnRules = allRules.filter(r => r.kind !== 'cell');
  const byOp = new Map<string, MappingRule[]>();
  for (const r of fnRules) for (const o of r.onnx ?? []) (byOp.get(o) ?? byOp.set(o, []).get(o)!).push(r);
  const fnUse = new Map<MappingRule, { count: number; scopes: Set<string> }>();
  for (const st of network.allSteps) {
    if (st.cellName) continue;
    const r = fnRules.find(f => f.ms === st.msApi) ?? (byOp.get(st.node.opType)?.length === 1 ? byOp.get(st.node.opType)![0] : undefined);
    if (!r || !(r.args?.some(a => a.torch !== a.ms) || r.defaults?.length || r.notSupported?.length)) continue;
    const u = fnUse.get(r) ?? fnUse.set(r, { count: 0, scopes: new Set() }).get(r)!;
    u.count++; u.scopes.add(st.scope || '(root)');
  }
  const functions: ReportFunction[] = [...fnUse].map(([r, u]) => ({
    torch: r.torch, ms: r.ms, doc: r.doc ?? null, count: u.count, scopes: [...u.scopes],
    args: (r.args ?? []).map(a => ({ torch: a.torch, ms: a.ms })),
    defaults: (r.defaults ?? []).map(d => ({ arg: d.arg, torch: d.torch, ms: d.ms, note: d.note })),
    notSupported: [...(r.notSupported ?? [])], consequence: r.consequence,
  })).sort((a, b) => b.count - a.count || a.torch.localeCompare(b.torch));

  const notes: string[] = [];
  // TorchScript's constant folding writes a Conv with a BatchNorm folded in under a made-up weight name
  // (onnx::Conv_193, 1110) and always with a bias; torch 2.9+'s optimizer is reported by the importer itself
  const convApis = new Set(network.allSteps.filter(s => s.torchApi?.startsWith('torch.nn.Conv')).map(s => s.cellName));
  const foldedConvs = [...new Set(names.filter(n => n.derived && n.ms.endsWith('.weight')).map(n => n.ms.slice(0, -'.weight'.length)))]
    .filter(c => convApis.has(c) && names.some(n => n.ms === `${c}.bias`));
  if (foldedConvs.length && !exportNotes.some(n => n.kind === 'folded-batchnorm')) {
    notes.push(`The exporter folded a BatchNorm into ${foldedConvs.length === 1 ? 'the Conv' : `${foldedConvs.length} Convs`} ${foldedConvs.slice(0, 3).map(c => `\`${c}\``).join(', ')}${foldedConvs.length > 3 ? ', …' : ''} (constant folding): their weights are not the PyTorch state_dict values. Export with training=TrainingMode.PRESERVE, do_constant_folding=False to see every BatchNorm.`);
  }
  for (const n of exportNotes) notes.push(n.message);
  // weights a functional op reads under a name the exporter made (nn.MultiheadAttention's in_proj_weight, exported
  // transposed as onnx::MatMul_100): no Parameter carries them, so the port must take them from the state_dict itself
  const lost: string[] = [];
  const readBy = new Map<string, string>();
  // only as a product's weight operand: elsewhere an exporter-made float constant is a precomputed mask or table
  const PRODUCTS = new Set(['MatMul', 'Gemm', 'Conv', 'ConvTranspose', 'Einsum']);
  for (const st of network.allSteps) if (!st.cellName && PRODUCTS.has(st.node.opType)) for (const i of st.inputs) if (i && !readBy.has(i)) readBy.set(i, st.scope || '(root)');
  const bound = new Set(boundParams.values());
  for (const [init, t] of model.graph.initializers) {
    if (bound.has(init) || !readBy.has(init) || !isFloat(t.dtype) || t.size < 2 || isStateDictKey(init)) continue;
    const from = model.graph.foldedFrom.get(init);
    if (from && !from.every(f => /^[A-Za-z_]\w*(\.\w+)+$/.test(f))) continue;
    lost.push(`\`${init}\` (${t.shape.join(', ')}) in \`${readBy.get(init)}\`${from?.length ? ` (made from ${from.join(', ')})` : ''}`);
  }
  // torch 2.9+'s optimizer folds a lookup or expansion of a state_dict tensor into a constant of this input size
  // (GPT-2's position table into `embedding_1`): the tensor itself is not in the export, so no Parameter has it
  const foldedAway: string[] = [];
  for (const [init, from] of model.graph.foldedFrom) {
    const t = model.graph.initializers.get(init);
    if (!t || bound.has(init) || from.length < 2) continue;
    for (const src of from) if (/^[A-Za-z_]\w*(\.\w+)+$/.test(src) && !model.graph.initializers.has(src)) foldedAway.push(`\`${src}\` (into \`${init}\` (${t.shape.join(', ')}))`);
  }
  if (foldedAway.length) {
    notes.push(`The exporter folded ${foldedAway.length === 1 ? 'a state_dict tensor' : `${foldedAway.length} state_dict tensors`} into constants of this input size, so no Parameter carries ${foldedAway.length === 1 ? 'it' : 'them'} and a port loads ${foldedAway.length === 1 ? 'it' : 'them'} from the state_dict itself: ${foldedAway.slice(0, 4).join(', ')}${foldedAway.length > 4 ? ', …' : ''}. Export with optimize=False to keep ${foldedAway.length === 1 ? 'it' : 'them'}.`);
  }
  if (lost.length) {
    notes.push(`${lost.length} weight${lost.length > 1 ? 's are' : ' is'} read by functional ops under a name the exporter made, so no Parameter carries ${lost.length > 1 ? 'them' : 'it'} and a port takes ${lost.length > 1 ? 'them' : 'it'} from the state_dict itself: ${lost.slice(0, 4).join(', ')}${lost.length > 4 ? ', …' : ''}.`);
  }
  return {
    model: modelPath, atol: opts.atol, rtol: opts.rtol, seed: opts.seed,
    passed: diffs.every(d => d.passed), maxAbsDiff: Math.max(...diffs.map(d => d.maxAbsDiff)),
    layers, names, rules, functions,
    perLayer: perLayer.layers.map(l => ({ name: l.name, kind: l.kind, api: l.api, maxAbsDiff: l.maxAbsDiff, local: l.local?.maxAbsDiff ?? null, noiseFloor: l.noiseFloor, introducesError: l.introducesError })),
    noiseFactor: perLayer.noiseFactor,
    firstDivergence: perLayer.firstDivergence,
    notes,
  };
}

export { layerName };
