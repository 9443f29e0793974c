// Run by test/runtime/resident.test.ts with --expose-gc: a model read into kernel memory stays there while anything
// made from it is reachable, and its block is reused once nothing is.
import { modelFromFile } from '../../dist/onnx/proto.js';
import { importModel } from '../../dist/onnx/import.js';
import { loadInputs } from '../../dist/compare/inputs.js';
import { noGrad } from '../../dist/runtime/autograd.js';
import { kernels } from '../../dist/runtime/kernels/index.js';

const file = process.argv[2];
const tick = () => new Promise(r => setTimeout(r, 20));
const collect = async () => { for (let i = 0; i < 4; i++) { globalThis.gc(); await tick(); } };
const fail = m => { console.log('FAIL ' + m); process.exitCode = 1; };

function load() {
  const model = modelFromFile(file);
  const { network } = importModel(model);
  const inputs = loadInputs(model.graph.inputs, { shapes: new Map(), files: new Map(), seed: 3 });
  const weight = network.parametersAndNames().map(([, p]) => p.data).find(d => d instanceof Float32Array && d.length > 1000 && kernels.owns(d));
  return { model, network, inputs, weight };
}
const run = (net, inputs) => Array.from(noGrad(() => net.execute(inputs))[0].data);

const wasm = kernels.beginArena();
if (wasm) kernels.endArena();
if (!wasm) { console.log('SKIP no WebAssembly kernels'); process.exit(0); }
let a = load();
if (!a.weight) { console.log('FAIL no weight of the model is in kernel memory'); process.exit(1); }
const offA = a.weight.byteOffset;
const outA = run(a.network, a.inputs);
// the network alone keeps the block: drop the model, collect, load again
let net = a.network, inputs = a.inputs;
a = null;
await collect();
let b = load();
if (b.weight.byteOffset === offA) fail('the block was reused while a network made from it was alive');
if (JSON.stringify(run(net, inputs)) !== JSON.stringify(outA)) fail('the first network computes something else after a second model was loaded');
// nothing made from the first model left: its block is free, and the next model of the same size takes it
net = null; inputs = null; b = null;
await collect();
const c = load();
if (c.weight.byteOffset !== offA) fail(`the freed block was not reused (${c.weight.byteOffset} vs ${offA})`);
if (JSON.stringify(run(c.network, c.inputs)) !== JSON.stringify(outA)) fail('a model loaded into a reused block computes something else');
if (!process.exitCode) console.log('resident: kept while reachable, reused after');
