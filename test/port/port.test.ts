/**
 * check --port: the refusals and the missing-Python path (running a real port needs MindSpore: conformance/test_port.py).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { parsePortArg, PortRunError } from '../../src/port/runner.js';
import { explainRunFailure } from '../../src/port/failure.js';
import { importModel } from '../../src/onnx/import.js';
import { modelFromFile } from '../../src/onnx/proto.js';
import { Tensor } from '../../src/runtime/tensor.js';

const model = 'fixtures/models/seed_cnn.bn.onnx';
const port = 'conformance/ports/seed_cnn.py:SeedCNN';

describe('check --port', () => {
  it('reads FILE.py:CLASS and refuses anything else', () => {
    expect(parsePortArg(port).className).toBe('SeedCNN');
    expect(() => parsePortArg('conformance/ports/seed_cnn.py')).toThrow(/FILE\.py:CLASS/);
    expect(() => parsePortArg('nope.py:Net')).toThrow(/does not exist/);
  });

  it('says in one line what to install when Python is missing (exit 2)', async () => {
    const r = await runCli(['check', model, '--port', port, '--python', '/nonexistent/python3']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--port needs Python with MindSpore: \/nonexistent\/python3 was not found .*pip install mindspore==2\.10\.0/);
  });

  it('refuses --port-args without --port, arguments that are not a JSON object, and --repro (exit 2)', async () => {
    for (const args of [['--port-args', '{}'], ['--port', port, '--port-args', '[1]'], ['--port', port, '--port-args', '{oops'], ['--port', port, '--repro', 'reprodir']]) {
      const r = await runCli(['check', model, ...args, '--python', '/nonexistent/python3']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('names the step PyTorch ran before a Cell the port fed another shape (a missing flatten)', () => {
    const network = importModel(modelFromFile(model)).network;
    const feeds = new Map([['input', Tensor.zeros([1, 3, 40, 40], 'float32')]]);
    const err = new PortRunError('--port: SeedCNN failed', 0, { cell: 'fc', cls: 'Dense', shapes: [[1, 4, 5, 5]] });
    expect(explainRunFailure(network, feeds, err)).toBe(" — PyTorch's fc received (1, 100), the port's (1, 4, 5, 5); PyTorch made it with Reshape (/Reshape): the port is missing a step before fc (a flatten or reshape)");
    // the same shape, or a Cell PyTorch has no module for: nothing to add
    expect(explainRunFailure(network, feeds, new PortRunError('x', 0, { cell: 'fc', cls: 'Dense', shapes: [[1, 100]] }))).toBe('');
    expect(explainRunFailure(network, feeds, new PortRunError('x', 0, { cell: 'head', cls: 'Dense', shapes: [[1, 4]] }))).toBe('');
  });
});
