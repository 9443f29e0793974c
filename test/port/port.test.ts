/**
 * check --port: the refusals and the missing-Python path (running a real port needs MindSpore: conformance/test_port.py).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { parsePortArg } from '../../src/port/runner.js';

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
});
