#!/usr/bin/env node
/**
 * node dist/bridge/cli.js run DIR        run every conformance case under DIR in the Cell runtime
 * node dist/bridge/cli.js signatures     the MindSpore signatures the bridge binds, as JSON
 * node dist/bridge/cli.js calls [--io DIR] M.onnx…  every MindSpore call msport prints for the models' Cells, with
 *                                        the Cells' reprs (and, into DIR, each distinct call's inputs, weights, outputs)
 * Used by conformance/ (Python); not part of msport's user CLI.
 */
import { runAll } from './run.js';
import { signatures } from './cells.js';
import { opSignatures } from './ops.js';
import { emittedCalls } from './calls.js';

const [cmd, arg] = process.argv.slice(2);
if (cmd === 'run' && arg) {
  const { cases, errors } = runAll(arg);
  process.stdout.write(`msport bridge: ran ${cases} cases, ${errors} raised an error\n`);
} else if (cmd === 'calls') {
  // calls [--io DIR] M.onnx…
  const rest = process.argv.slice(3);
  const io = rest[0] === '--io' ? rest[1]! : null;
  process.stdout.write(JSON.stringify(emittedCalls(io ? rest.slice(2) : rest, io), null, 1) + '\n');
} else if (cmd === 'signatures') {
  process.stdout.write(JSON.stringify({ ...signatures(), ...opSignatures() }, null, 1) + '\n');
} else {
  process.stderr.write('usage: cli.js run DIR | signatures\n');
  process.exitCode = 2;
}
