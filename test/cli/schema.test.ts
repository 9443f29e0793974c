/** schema/check-result.schema.json validates what `msport check --json` really prints (run through bin/msport). */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { runCli } from '../helpers/cli.js';
import { buildModel } from '../helpers/onnx-builder.js';

const schema = JSON.parse(readFileSync('schema/check-result.schema.json', 'utf8'));
let validate: ValidateFunction;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'msport-schema-'));
  const ajv = new Ajv2020.default({ allErrors: true, strict: true, strictRequired: false });
  validate = ajv.compile(schema);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ok = (j: unknown) => {
  const valid = validate(j);
  expect(valid, JSON.stringify(validate.errors, null, 1)).toBe(true);
};
const bad = (j: unknown) => expect(validate(j)).toBe(false);

/** Error payloads do not carry `version` yet (main.ts errorPayload); until they do, supply it here. */
const versioned = (j: Record<string, unknown>) => ('version' in j ? j : { version: '1', ...j });

async function json(args: string[], code: number): Promise<Record<string, unknown>> {
  const r = await runCli(['check', ...args, '--json']);
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout.trim().split('\n'), 'one JSON line').toHaveLength(1);
  return JSON.parse(r.stdout);
}

describe('check --json schema', () => {
  it('is a draft 2020-12 schema', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('validates a passing check (seed_cnn)', async () => {
    const j = await json(['fixtures/models/seed_cnn.onnx'], 0);
    expect(j.version).toBe('1');
    ok(j);
  });

  it('validates a check of a torch 2.13 export carrying export notes (folded BatchNorms)', async () => {
    const j = await json(['fixtures/models/dynamo/seed_cnn.onnx', '--samples', '1'], 0);
    expect((j.exportNotes as unknown[]).length).toBe(2);
    ok(j);
  });

  it('validates a failing check with --layers and --repro', async () => {
    const j = await json(['fixtures/models/seed_cnn.bn.onnx', '--atol', '0', '--rtol', '0', '--layers', '--repro', join(dir, 'repro'), '--samples', '1'], 1);
    expect(j.layers).toBeInstanceOf(Array);
    ok(j);
  });

  it('validates error payloads: unreadable model (exit 2) and unsupported operators (exit 3)', async () => {
    ok(versioned(await json(['nope.onnx'], 2)));
    const model = join(dir, 'det.onnx');
    writeFileSync(model, buildModel({ nodes: [{ op: 'Det', inputs: ['x'], outputs: ['y'] }], inputs: [{ name: 'x', dims: [3, 3] }], outputs: [{ name: 'y' }] }));
    const j = await json([model], 3);
    expect(j.unsupported).toBeInstanceOf(Array);
    ok(versioned(j));
  });

  it('validates the multi-model form', async () => {
    const a = await json(['fixtures/models/seed_cnn.onnx'], 0);
    const b = await json(['nope.onnx'], 2);
    ok({ version: '1', passed: false, models: [a, b] });
    ok({ version: '1', passed: true, models: [] });
  });

  it('rejects what the format does not allow', async () => {
    const good = await json(['fixtures/models/seed_cnn.onnx', '--samples', '1'], 0);
    const out0 = (good.outputs as Record<string, unknown>[])[0]!;
    const without = (k: string) => { const c = { ...good }; delete c[k]; return c; };
    bad(without('version'));
    bad(without('outputs'));
    bad(without('timings'));
    bad({ ...good, version: '2' });
    bad({ ...good, outputs: [{ ...out0, maxAbsDiff: 'inf' }] }); // non-finite figures are "Infinity" / "NaN"
    ok({ ...good, outputs: [{ ...out0, maxAbsDiff: 'Infinity', maxRelDiff: 'NaN' }] });
    bad({ ...good, outputs: [{ ...out0, shape: [1, -10] }] });
    bad({ ...good, error: { code: 'MSPORT_USAGE', message: 'x' } }); // a result is not also an error
    bad({ version: '1', model: 'm', passed: true, error: { code: 'MSPORT_USAGE', message: 'x' } });
    bad({ version: '1', model: 'm', passed: false, error: { code: 'MSPORT_UNSUPPORTED_OP', message: 'x' } }); // needs unsupported
    bad({ version: '1', model: 'm', passed: false, error: { code: 'oops', message: 'x' } });
    bad({ version: '1', passed: true, models: [{ model: 'm' }] });
    bad({ ...good, layers: [] }); // layers come with firstDivergence
  });
});
