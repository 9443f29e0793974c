/**
 * onnxruntime alone on a model (for `npm run bench -- --scale`): a process of its own that loads the model from its
 * file, runs it once on msport's seed-0 inputs and prints its wall time and peak RSS as JSON — onnxruntime's time and
 * memory for the work msport's check does.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { graphInputsFromFile } from '../onnx/skim.js';
import { loadInputs } from '../compare/inputs.js';
import { OrtRunner } from '../compare/runners.js';

const t0 = performance.now();
const path = process.argv[2]!;
const specs = graphInputsFromFile(path);
const inputs = loadInputs(specs, { shapes: new Map(), files: new Map(), seed: 0 });
const run = await OrtRunner.runAll(path, [new Map(specs.map((v, i) => [v.name, inputs[i]!]))]);
const peak = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
process.stdout.write(JSON.stringify({ wallMs: performance.now() - t0, runMs: run.ms[0], peakKiB: peak }) + '\n');
