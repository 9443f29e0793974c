/** msport command line: thin commands over the library; reporters render results; exit codes per the README. */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { performance } from 'node:perf_hooks';
import chalk from 'chalk';
import { check, CheckResult, DEFAULT_TOLERANCE } from '../check.js';
import { expandModelArgs } from './models.js';
import { explicitFlags, loadConfig, loadConfigFile, ModelSettings, settingsFor } from './config.js';
import { createProgress } from './progress.js';
import { ModelRun, modelVerdict, runError } from './reporters/verdict.js';
import { renderSummary, worstExitCode } from './reporters/summary.js';
import { renderJunit } from './reporters/junit.js';
import { appendStepSummary, githubAnnotations } from './reporters/github.js';
import { inspect } from '../inspect.js';
import { MsportError, UnsupportedOpsError, UsageError } from '../errors.js';
import { renderCheckTable } from './reporters/check-table.js';
import { renderInspect } from './reporters/inspect-text.js';
import { buildReport } from '../report/report.js';
import { renderHtml, renderJson, renderMarkdown } from '../report/render.js';
import { writeFileAtomic } from './files.js';
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { compareWithBaseline, readSavedRun, toSavedRun } from '../compare/baseline.js';
import { layersCsv, layersNodeData } from './reporters/layers-export.js';
import { allRules, findRule } from '../mappings/index.js';
import { renderApiEntry, renderApiTable } from './reporters/api-text.js';
import { convert, UnwritableError } from '../convert/convert.js';
import { parsePortArg, PortSpec } from '../port/runner.js';

export const EXIT = { ok: 0, mismatch: 1, usage: 2, unsupported: 3, internal: 4 } as const;

const EXIT_HELP = `
Exit codes:
  0  parity holds (every output within tolerance, or --accept-noise and the difference is float32 noise)
  1  parity fails (a value or shape mismatch)
  2  usage error, or the model/inputs cannot be read
  3  the model uses operators msport does not support (all are listed)
  4  internal error in msport (rerun with --verbose and report it)`;

const num = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag} expects a non-negative number, got '${v}'`);
  return n;
};
const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError(`--seed expects an integer in [0, 2^32), got '${v}'`);
  return n;
};
const collect = (v: string, prev: string[]): string[] => [...prev, v];
const positiveInt = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10000) throw new InvalidArgumentError(`${flag} expects an integer from 1 to 10000, got '${v}'`);
  return n;
};

function parseShapes(specs: string[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const s of specs) {
    const eq = s.lastIndexOf('=');
    const name = s.slice(0, eq), dims = s.slice(eq + 1).split(/[,x]/).map(Number);
    if (eq <= 0 || dims.some(d => !Number.isInteger(d) || d < 0)) throw new UsageError(`--shape expects NAME=d0,d1,... with non-negative integers, got '${s}'`);
    if (m.has(name)) throw new UsageError(`--shape ${name} is given twice (${m.get(name)!.join(',')} and ${dims.join(',')})`);
    m.set(name, dims);
  }
  return m;
}

function parseInputs(specs: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const s of specs) {
    const eq = s.indexOf('=');
    if (eq <= 0 || eq === s.length - 1) throw new UsageError(`--input expects NAME=FILE.npy or NAME=NUMBER, got '${s}'`);
    if (m.has(s.slice(0, eq))) throw new UsageError(`--input ${s.slice(0, eq)} is given twice`);
    m.set(s.slice(0, eq), s.slice(eq + 1));
  }
  return m;
}

interface GlobalOpts { verbose?: boolean; color?: boolean }

function errorPayload(model: string, e: unknown) {
  const err = e instanceof MsportError ? { code: e.code, message: oneLine(e.message), ...(e instanceof UnwritableError ? { steps: e.steps } : {}) }
    : { code: 'MSPORT_INTERNAL', message: oneLine(String((e as Error).message)) };
  const unsupported = e instanceof UnsupportedOpsError ? e.ops.map(({ opType, domain, opset, count, nodes }) => ({ opType, domain, opset, count, nodes })) : undefined;
  return { version: JSON_VERSION, model, passed: false, error: err, ...(unsupported ? { unsupported } : {}) };
}

function renderUnsupported(e: UnsupportedOpsError): string {
  const lines = [`msport: the model uses ${e.ops.length} unsupported operator type${e.ops.length === 1 ? '' : 's'}:`];
  for (const o of e.ops) lines.push(oneLine(`  ${o.domain ? `${o.domain}::` : ''}${o.opType} (opset ${o.opset}) x${o.count}  e.g. ${o.nodes[0]}`));
  return lines.join('\n');
}

/** Control characters from a model (names with newlines) would break the one-line contract: show them escaped. */
export const oneLine = (s: string): string => s.replace(/[\u0000-\u001f\u007f]/g, c => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** Print the error as one line (stack only with --verbose) and return its exit code. */
function report(e: unknown, opts: GlobalOpts, json: boolean, model: string): number {
  if (json) process.stdout.write(JSON.stringify(errorPayload(model, e)) + '\n');
  if (e instanceof UnsupportedOpsError) {
    process.stderr.write(renderUnsupported(e) + '\n');
    return e.exitCode;
  }
  if (e instanceof MsportError) {
    process.stderr.write(`msport: error: ${oneLine(e.message)}\n`);
    if (opts.verbose && e.stack) process.stderr.write(e.stack + '\n');
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`msport: internal error: ${oneLine(msg.split('\n')[0]!)}${opts.verbose ? '' : ' (rerun with --verbose for details)'}\n`);
  if (opts.verbose && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  return EXIT.internal;
}

/** The tolerance and input options shared by `check` and `report` (one definition, one parse). */
function addInputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--atol <n>', 'absolute tolerance').argParser(num('--atol')).default(DEFAULT_TOLERANCE.atol))
    .addOption(new Option('--rtol <n>', 'relative tolerance').argParser(num('--rtol')).default(DEFAULT_TOLERANCE.rtol))
    .addOption(new Option('--seed <n>', 'seed for random inputs').argParser(int).default(0))
    .option('--shape <name=dims>', 'concrete dims for an input, e.g. input=1,3,224,224 (repeatable)', collect, [])
    .option('--input <name=file.npy>', 'feed an input from a .npy file, or fill it with a number (sr=16000) (repeatable)', collect, [])
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('msport')
    .description('Check that a PyTorch model exported to ONNX computes the same on a MindSpore-semantics Cell runtime.')
    .version(VERSION, '-V, --version', 'print the version of msport')
    .option('--verbose', 'print stack traces and details on errors')
    .option('--no-color', 'disable colored output (also NO_COLOR=1)')
    .addHelpText('after', EXIT_HELP)
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(`msport: error: ${s.replace(/^error: /, '').trim()}\n`) })
    // NO_COLOR (no-color.org): any non-empty value turns colors off, on a terminal too
    .hook('preAction', cmd => { if (cmd.opts<GlobalOpts>().color === false || process.env.NO_COLOR) chalk.level = 0; });

  addInputOptions(program.command('check')
    .description('run each MODEL in onnxruntime and in the MindSpore Cell runtime on the same inputs and compare every output')
    .argument('<models...>', '.onnx files, folders (every .onnx below) or globs'))
    .addOption(new Option('--samples <n>', 'input sets to run (sample k uses seed + k); the verdict must hold on all').argParser(positiveInt('--samples')).default(4))
    .option('--weights <file>', 'run with a MindSpore checkpoint (.ckpt or .safetensors) instead of the ONNX initializers')
    .option('--port <file.py:Class>', "check your own MindSpore port instead of msport's Cell tree: built and run in real MindSpore by Python")
    .option('--port-args <json>', "the port's constructor arguments, a JSON object")
    .option('--python <path>', 'the Python with mindspore==2.10.0 that runs --port', 'python3')
    .option('--train', 'allow Cells in train phase (otherwise reported as a problem)')
    .option('--layers', 'compare every layer too, and name the first one that introduces error')
    .option('--no-localize', 'when an output fails, do not run the per-layer pass that says where (noise or a layer)')
    .option('--stream', 'run the model block by block (its repeated modules), each block\'s weights read only while it runs (automatic when the model will not fit in memory)')
    .option('--accept-noise', 'pass a failure that the per-layer pass finds to be float32 noise only (every layer within its noise floor)')
    .option('--csv <file>', 'with --layers: write one CSV row per layer (columns in the README)')
    .option('--node-data <file>', 'with --layers: write per-layer error as Model Explorer node data (keyed by ONNX node name)')
    .option('--save-results <file>', 'store this run (seeds, per-output and per-layer statistics, versions) as JSON')
    .option('--baseline <file>', 'fail when a difference grew beyond --baseline-factor relative to a saved run')
    .addOption(new Option('--baseline-factor <x>', 'allowed growth over the baseline').argParser(num('--baseline-factor')).default(2))
    .option('--repro <dir>', 'write the first diverging layer as a one-node ONNX model with its inputs and outputs (implies --layers)')
    .option('--config <file>', 'settings file (default: msport.config.json or package.json "msport", found upwards)')
    .option('--junit <file>', 'write JUnit XML: one testcase per model output (and per layer with --layers)')
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', EXIT_HELP)
    .action(async (args: string[], o: CheckFlags, cmd: Command) => {
      const g = program.opts<GlobalOpts>();
      try {
        if ((o.csv || o.nodeData) && !o.layers && !o.repro) throw new UsageError('--csv and --node-data need --layers');
        const { files, errors } = expandModelArgs(args);
        if (errors.length) throw new UsageError(errors.join('; '));
        const perModelFiles = [o.csv, o.nodeData, o.saveResults, o.baseline, o.repro, o.weights, o.port].filter(Boolean);
        if (files.length > 1 && perModelFiles.length) throw new UsageError('--csv, --node-data, --save-results, --baseline, --repro, --weights and --port take one model at a time');
        const loaded = o.config ? loadConfigFile(o.config) : loadConfig();
        const flags = { ...explicitFlags(cmd), shapes: parseShapes(o.shape), inputs: parseInputs(o.input) };
        const progress = createProgress({ quiet: o.quiet });
        const runs: ModelRun[] = [];
        const t0 = performance.now();
        for (const [i, model] of files.entries()) {
          progress.start(i + 1, files.length, model);
          const st = settingsFor(loaded, model, flags);
          const t = performance.now();
          const meta = { model, skipOutputs: st.skipOutputs, expectFail: st.expectFail };
          try {
            runs.push({ ...meta, result: await checkOne(model, st, o), ms: performance.now() - t });
          } catch (e) {
            if (files.length === 1) { progress.done(); throw e; }
            runs.push({ ...meta, error: runError(e), ms: performance.now() - t });
          }
        }
        progress.done();
        const code = worstExitCode(runs.map(r => modelVerdict(r).exitCode));
        if (files.length === 1) {
          const r = runs[0]!.result!;
          process.stdout.write((o.json ? JSON.stringify(toJson(r)) : renderCheckTable(r)) + '\n');
          if (o.repro && !o.json) process.stderr.write(r.repro ? `msport: wrote a reproduction of ${r.repro.layer} to ${r.repro.dir}\n` : 'msport: no layer diverges; no reproduction written\n');
        } else if (o.json) {
          process.stdout.write(JSON.stringify({
            version: JSON_VERSION, passed: code === 0,
            models: runs.map(r => (r.result ? toJson(r.result) : { version: JSON_VERSION, model: r.model, passed: false, error: { code: r.error!.code, message: oneLine(r.error!.message) }, ...(r.error!.unsupported ? { unsupported: r.error!.unsupported } : {}) })),
          }) + '\n');
        } else process.stdout.write(renderSummary(runs, { totalMs: performance.now() - t0 }) + '\n');
        if (o.junit) writeFileAtomic(o.junit, renderJunit(runs, { timestamp: new Date() }));
        for (const line of githubAnnotations(runs)) process.stderr.write(line + '\n');
        try { appendStepSummary(runs); } catch (e) { process.stderr.write(`msport: warning: ${oneLine((e as Error).message)}\n`); }
        setExit(code);
      } catch (e) {
        setExit(report(e, g, !!o.json, args.join(' ')));
      }
    });

  addInputOptions(program.command('report')
    .description('write a migration report for MODEL: layers as PyTorch and MindSpore calls, names, and the measured effect of each API difference')
    .argument('<model>', 'path to an .onnx file')
    .addOption(new Option('--format <fmt>', 'md, json or html').choices(['md', 'json', 'html']).default('md'))
    .option('-o, --output <file>', 'write the report to FILE (atomically) instead of stdout')
    .option('--config <file>', 'settings file (default: msport.config.json or package.json "msport", found upwards)')
    .option('-q, --quiet', 'no progress output (as for check; report prints none)'))
    .action(async (model: string, o: { format: 'md' | 'json' | 'html'; output?: string; config?: string; atol: number; rtol: number; seed: number; shape: string[]; input: string[] }, cmd: Command) => {
      const g = program.opts<GlobalOpts>();
      try {
        const st = configuredSettings(model, o, cmd);
        const d = await buildReport(model, { atol: st.atol, rtol: st.rtol, seed: st.seed, shapes: st.shapes, inputs: st.inputs });
        const text = o.format === 'json' ? renderJson(d) : o.format === 'html' ? renderHtml(d) : renderMarkdown(d);
        if (o.output) {
          writeFileAtomic(o.output, text.endsWith('\n') ? text : text + '\n');
          process.stderr.write(`msport: wrote ${o.format} report to ${o.output}\n`);
        } else process.stdout.write(text.endsWith('\n') ? text : text + '\n');
        setExit(EXIT.ok);
      } catch (e) {
        setExit(report(e, g, o.format === 'json' && !o.output, model));
      }
    });

  addInputOptions(program.command('convert')
    .description('write the MindSpore port of MODEL into DIR: the network as MindSpore 2.10 code, its weights, and a test that runs it against the reference outputs')
    .argument('<model>', 'path to an .onnx file')
    .requiredOption('-o, --out <dir>', 'folder to write (must be empty or new, unless --force)')
    .option('--class-name <name>', "the root Cell's class name (default: the model's class where the export records it, else Net)")
    .addOption(new Option('--format <fmt>', 'weights file format').choices(['ckpt', 'safetensors']).default('ckpt'))
    .option('--force', 'replace a non-empty output folder')
    .option('--accept-noise', "write the port of a model whose difference from onnxruntime is float noise only (a float16 export): its test holds it to msport's checked outputs")
    .option('--config <file>', 'settings file (default: msport.config.json or package.json "msport", found upwards)')
    .option('--json', 'print one JSON object on stdout'))
    .addHelpText('after', EXIT_HELP)
    .action(async (model: string, o: { out: string; className?: string; format: 'ckpt' | 'safetensors'; force?: boolean; json?: boolean; config?: string; acceptNoise?: boolean; atol: number; rtol: number; seed: number; shape: string[]; input: string[] }, cmd: Command) => {
      const g = program.opts<GlobalOpts>();
      try {
        if (o.className !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.className)) throw new UsageError(`--class-name must be a Python identifier, got '${o.className}'`);
        const st = configuredSettings(model, o, cmd);
        const r = await convert(model, { out: o.out, className: o.className, format: o.format, force: o.force, atol: st.atol, rtol: st.rtol, seed: st.seed, shapes: st.shapes, inputs: st.inputs,
          acceptNoise: o.acceptNoise || st.acceptNoise });
        if (o.json) process.stdout.write(JSON.stringify({ version: JSON_VERSION, ...r }) + '\n');
        else {
          process.stdout.write(`msport: wrote ${r.dir} — ${r.files.length} files: ${r.name}.py (${r.lines} lines, ${r.classes.length} classes, root ${r.className}), ` +
            `${r.parameters} parameters${r.buffers ? ` + ${r.buffers} buffers` : ''}; run \`python ${r.dir}/test_${r.name}.py\` with mindspore==2.10.0\n`);
          for (const n of r.notes ?? []) process.stderr.write(`msport: note: ${n}\n`);
          if (!r.check.passed) process.stderr.write(`msport: the checked Cell tree itself differs from onnxruntime (max abs diff ${Math.max(...r.check.outputs.map(x => x.maxAbsDiff)).toExponential(2)}); the port will fail its test — run msport check --layers\n`);
        }
        setExit(r.check.passed ? EXIT.ok : EXIT.mismatch);
      } catch (e) {
        if (e instanceof UnwritableError && !o.json) {
          process.stderr.write(`msport: error: ${e.message}\n${e.steps.slice(0, 20).map(s => `  ${s.opType || '-'} ${s.node || ''}${s.scope ? ` in ${s.scope}` : ''}: ${s.reason}`).join('\n')}${e.steps.length > 20 ? `\n  … ${e.steps.length - 20} more` : ''}\n`);
          setExit(e.exitCode);
        } else setExit(report(e, g, !!o.json, model));
      }
    });

  program.command('api')
    .description('print the PyTorch → MindSpore mapping table, or one entry (e.g. msport api torch.nn.Conv2d, or just Conv2d)')
    .argument('[name]', 'a PyTorch API name or a unique suffix of one')
    .option('--json', 'print JSON')
    .action((name: string | undefined, o: { json?: boolean }) => {
      const g = program.opts<GlobalOpts>();
      try {
        if (!name) {
          process.stdout.write((o.json ? JSON.stringify(allRules) : renderApiTable(allRules, { width: process.stdout.columns })) + '\n');
        } else {
          const r = findRule(name);
          if (!r) throw new UsageError(`no mapping for '${name}'; run \`msport api\` for the table`);
          process.stdout.write((o.json ? JSON.stringify(r) : renderApiEntry(r)) + '\n');
        }
        setExit(EXIT.ok);
      } catch (e) {
        setExit(report(e, g, !!o.json, name ?? ''));
      }
    });

  program.command('inspect')
    .description('print the MindSpore Cell tree MODEL imports to, with every Parameter name, shape and dtype')
    .argument('<model>', 'path to an .onnx file')
    .option('-q, --quiet', 'no progress output (as for check; inspect prints none)')
    .option('--json', 'print one JSON object on stdout')
    .action((model: string, o: { json?: boolean }) => {
      const g = program.opts<GlobalOpts>();
      try {
        const r = inspect(model);
        process.stdout.write((o.json ? JSON.stringify(r) : renderInspect(r)) + '\n');
        setExit(EXIT.ok);
      } catch (e) {
        setExit(report(e, g, !!o.json, model));
      }
    });
  return program;
}

/** The documented JSON shape of a check (see README). */
export const JSON_VERSION = '1';

/** msport's own version, from its package.json (dist/cli/ → the package root). */
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function toJson(r: Awaited<ReturnType<typeof check>>) {
  return {
    version: JSON_VERSION,
    model: r.model, passed: r.passed, atol: r.atol, rtol: r.rtol, seed: r.seed, samples: r.samples,
    inputs: r.inputs,
    problems: r.problems,
    ...(r.exportNotes ? { exportNotes: r.exportNotes } : {}),
    ...(r.weights ? { weights: r.weights } : {}),
    ...(r.vacuous ? { vacuous: r.vacuous } : {}),
    ...(r.localized ? { localized: { ...r.localized, worstNoiseRatio: r.localized.worstNoiseRatio === null ? null : jsonNum(r.localized.worstNoiseRatio) } } : {}),
    ...(r.noiseAccepted ? { noiseAccepted: true } : {}),
    ...(r.memory ? { memory: r.memory } : {}),
    ...(r.stream ? { stream: r.stream } : {}),
    ...(r.layersSample ? { layersSample: r.layersSample } : {}),
    ...(r.port ? { port: r.port } : {}),
    ...(r.portLayers ? { portLayers: { ...r.portLayers, layers: r.portLayers.layers.map(l => ({ ...l, maxAbsDiff: l.maxAbsDiff === null ? null : jsonNum(l.maxAbsDiff), noiseRatio: l.noiseRatio === null ? null : jsonNum(l.noiseRatio) })) } } : {}),
    outputs: r.outputs.map(o => ({
      name: o.name, shape: o.shape, referenceShape: o.referenceShape, maxAbsDiff: jsonNum(o.maxAbsDiff), maxRelDiff: jsonNum(o.maxRelDiff),
      meanAbsDiff: jsonNum(o.meanAbsDiff), mismatches: o.mismatches, size: o.size, worstIndex: o.worstIndex, worstSample: o.worstSample,
      reference: o.reference === null ? null : jsonNum(o.reference), actual: o.actual === null ? null : jsonNum(o.actual), passed: o.passed, ...(o.error ? { error: o.error } : {}),
      atol: o.atol, rtol: o.rtol, cosine: jsonNum(o.cosine), minPassingAtol: jsonNum(o.minPassingAtol), ...(o.topk ? { topk: o.topk } : {}),
      histogram: o.histogram,
    })),
    ...(r.layers ? {
      layers: r.layers.layers.map(l => ({
        name: l.name, kind: l.kind, api: l.api, torchApi: l.torchApi, node: l.node, shape: l.shape,
        maxAbsDiff: jsonNum(l.maxAbsDiff), maxRelDiff: jsonNum(l.maxRelDiff), mismatches: l.mismatches, passed: l.passed,
        local: l.local ? { maxAbsDiff: jsonNum(l.local.maxAbsDiff), maxRelDiff: jsonNum(l.local.maxRelDiff), mismatches: l.local.mismatches, passed: l.local.passed } : null,
        introducesError: l.introducesError, withinNoise: l.withinNoise, noiseFloor: l.noiseFloor === null ? null : jsonNum(l.noiseFloor), noiseRatio: l.noiseRatio === null ? null : jsonNum(l.noiseRatio),
        histogram: l.histogram, ms: l.ms, ...(l.error ? { error: l.error } : {}),
      })),
      firstDivergence: r.layers.firstDivergence,
      firstDivergenceCause: r.layers.firstDivergenceCause,
      noiseFactor: r.layers.noiseFactor,
    } : {}),
    ...(r.repro !== undefined ? { repro: r.repro && { dir: r.repro.dir, layer: r.repro.layer, node: r.repro.node, files: r.repro.files } } : {}),
    ...(r.regressions ? { regressions: r.regressions.map(g => ({ ...g, factor: jsonNum(g.factor) })) } : {}),
    timings: r.timings,
  };
}

/** JSON has no Infinity/NaN: they become strings so a reader still sees them. */
const jsonNum = (v: number): number | string => (Number.isFinite(v) ? v : String(v));

let epipeHandled = false;

interface CheckFlags {
  atol: number; rtol: number; seed: number; shape: string[]; input: string[]; json?: boolean; layers?: boolean; repro?: string; samples: number;
  weights?: string; train?: boolean; csv?: string; nodeData?: string; saveResults?: string; baseline?: string; baselineFactor: number;
  config?: string; junit?: string; quiet?: boolean; port?: string; portArgs?: string; python: string; localize: boolean; acceptNoise?: boolean; stream?: boolean;
}

/**
 * report and convert take the model's settings as check does: the config file (msport.config.json found upwards, or
 * --config) under the flags given explicitly.
 */
function configuredSettings(model: string, o: { config?: string; shape: string[]; input: string[] }, cmd: Command): ModelSettings {
  const loaded = o.config ? loadConfigFile(o.config) : loadConfig();
  return settingsFor(loaded, model, { ...explicitFlags(cmd, ['atol', 'rtol', 'seed']), shapes: parseShapes(o.shape), inputs: parseInputs(o.input) });
}

/** --port FILE.py:CLASS with its --port-args (a JSON object) and --python. */
function portSpec(o: CheckFlags): PortSpec | undefined {
  if (!o.port) {
    if (o.portArgs) throw new UsageError('--port-args needs --port');
    return undefined;
  }
  let args: unknown = {};
  if (o.portArgs) {
    try { args = JSON.parse(o.portArgs); } catch (e) { throw new UsageError(`--port-args is not JSON: ${(e as Error).message}`); }
    if (!args || typeof args !== 'object' || Array.isArray(args)) throw new UsageError('--port-args must be a JSON object of constructor arguments');
  }
  return { ...parsePortArg(o.port), args: args as Record<string, unknown>, python: o.python };
}

/** One model under the merged settings (defaults < config < per-model entries < flags), with its side outputs. */
async function checkOne(model: string, st: ModelSettings, o: CheckFlags): Promise<CheckResult> {
  const base = o.baseline ? readSavedRun(o.baseline) : null;
  const r = await check(model, { atol: st.atol, rtol: st.rtol, seed: st.seed, samples: st.samples ?? o.samples, shapes: st.shapes, inputs: st.inputs,
    layers: o.layers, repro: o.repro, weights: o.weights, allowTrain: o.train, layerTolerances: st.layerTolerances, port: portSpec(o),
    localize: o.localize, acceptNoise: o.acceptNoise ?? st.acceptNoise, stream: o.stream });
  const saved = toSavedRun(r);
  if (o.saveResults) writeFileAtomic(o.saveResults, JSON.stringify(saved, null, 1) + '\n');
  if (o.csv && r.layers) writeFileAtomic(o.csv, layersCsv(r.layers));
  if (o.nodeData && r.layers) writeFileAtomic(o.nodeData, layersNodeData(r.layers, basename(model).replace(/\.onnx$/, '')));
  if (base) {
    r.regressions = compareWithBaseline(saved, base, o.baselineFactor);
    if (r.regressions.length) r.passed = false;
  }
  return r;
}

export async function main(argv: string[]): Promise<number> {
  // a reader that stops early (`| head`) is not an error; registered once even when main() runs in-process repeatedly
  if (!epipeHandled) {
    epipeHandled = true;
    process.stdout.on('error', e => { if ((e as NodeJS.ErrnoException).code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
  }
  let code = 0;
  const program = buildProgram(c => { code = c; });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      // a script that asked for JSON gets JSON, even for a bad option (the one-line message went to stderr)
      if (argv.includes('--json')) process.stdout.write(JSON.stringify(errorPayload('', new UsageError(e.message.replace(/^error: /, '')))) + '\n');
      return EXIT.usage;
    }
    return report(e, program.opts<GlobalOpts>(), false, '');
  }
  return code;
}
