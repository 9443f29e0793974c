// Train the seed MLP (Flatten → Dense 784-512-512-10) on a synthetic 10-class task with valueAndGrad + Momentum,
// then save a MindSpore checkpoint and reload it into a fresh network. Run: node examples/train-mlp.mjs [steps]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nn, ops, Tensor, Cell, valueAndGrad, setSeed, saveCheckpoint, loadCheckpoint, loadParamIntoNet, noGrad } from 'msport';

class Network extends Cell {
  constructor() {
    super();
    this.flatten = new nn.Flatten();
    this.dense_relu_sequential = new nn.SequentialCell([
      new nn.Dense(28 * 28, 512), new nn.ReLU(),
      new nn.Dense(512, 512), new nn.ReLU(),
      new nn.Dense(512, 10),
    ]);
  }
  construct(x) { return this.dense_relu_sequential.forward(this.flatten.forward(x)); }
}

/** Class k lights up row band k of a noisy 28×28 image. */
function batch(n, seed) {
  let s = seed >>> 0;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
  const x = new Float32Array(n * 784), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rand() * 10);
    y[i] = k;
    for (let p = 0; p < 784; p++) x[i * 784 + p] = 0.3 * (rand() - 0.5) + (Math.floor(p / 28 / 2.8) === k ? 1 : 0);
  }
  return [new Tensor(x, [n, 1, 28, 28], 'float32'), new Tensor(y, [n], 'int32')];
}

setSeed(1);
const net = new Network();
const lossFn = new nn.CrossEntropyLoss();
const optimizer = new nn.Momentum(net.trainableParams(), { learningRate: 0.01, momentum: 0.9 });
const forward = (x, y) => lossFn.forward(net.forward(x), y);
const step = valueAndGrad(forward, null, optimizer.parameters);

const steps = Number(process.argv[2] ?? 200);
for (let i = 0; i <= steps; i++) {
  const [x, y] = batch(32, i);
  const [loss, grads] = step(x, y);
  optimizer.call(...grads);
  if (i % 50 === 0) console.log(`step ${i}: loss ${loss.item().toFixed(4)}`);
}

const [xt, yt] = batch(200, 99999);
const accuracy = m => noGrad(() => {
  const pred = m.forward(xt).toArray();
  let ok = 0;
  for (let i = 0; i < 200; i++) {
    const row = pred.slice(i * 10, i * 10 + 10);
    if (row.indexOf(Math.max(...row)) === yt.get(i)) ok++;
  }
  return ok / 200;
});
console.log(`accuracy on 200 held-out samples: ${accuracy(net)}`);

const file = join(mkdtempSync(join(tmpdir(), 'msport-')), 'mlp.ckpt');
saveCheckpoint(net, file);
const fresh = new Network();
const { paramNotLoad } = loadParamIntoNet(fresh, loadCheckpoint(file));
console.log(`saved ${file}; reloaded with ${paramNotLoad.length} parameters missing; reloaded accuracy ${accuracy(fresh)}`);
