/**
 * From the written module instances to the classes of the port: instances of one PyTorch class whose code differs
 * only in numbers in `__init__` (channels, a buffer's shape) become one class taking those numbers as constructor
 * arguments — `BasicBlock(64, 128)`, as a person writes a port — and identical instances one class without any.
 * Instances that differ in anything else (a downsample branch, another data flow) get classes of their own.
 */

/** One written scope: its `__init__` lines with child instantiations as `\0scope\0` placeholders, its construct. */
export interface Instance {
  scope: string;
  /** the class name it would take (the PyTorch class, or one made from the path) */
  base: string;
  torchClass?: string;
  init: string[];
  /** the construct's lines (and signature); must be equal for instances to share a class */
  construct: string[];
}

export interface PortClass { name: string; torchClass?: string; paths: string[]; text: string }

const PLACEHOLDER = /\u0000([^\u0000]*)\u0000/g;
/** A number in code: not part of a name (`layer1`, `x2`), an attribute (`ms.float32`) or a quoted key ('0'). */
const NUMBER = /(?<![\w.'])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.'])/g;

/** The positional parameter names of the Cells msport writes, for naming a varying argument. */
const POSITIONAL: Record<string, string[]> = {
  Conv1d: ['in_channels', 'out_channels', 'kernel_size'], Conv2d: ['in_channels', 'out_channels', 'kernel_size'],
  Conv3d: ['in_channels', 'out_channels', 'kernel_size'], Conv2dTranspose: ['in_channels', 'out_channels', 'kernel_size'],
  Dense: ['in_channels', 'out_channels'], BatchNorm1d: ['num_features'], BatchNorm2d: ['num_features'], InstanceNorm2d: ['num_features'],
  LayerNorm: ['normalized_shape'], GroupNorm: ['num_groups', 'num_channels'], Embedding: ['vocab_size', 'embedding_size'],
  LSTM: ['input_size', 'hidden_size'], GRU: ['input_size', 'hidden_size'], AdaptiveAvgPool2d: ['output_size'], AdaptiveMaxPool2d: ['output_size'],
};

/** A name for the number at `pos` in `text`: the attribute it is built for and the argument it is (`conv1_out_channels`). */
function nameAt(text: string, pos: number): string {
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  const line = text.slice(lineStart, text.indexOf('\n', pos) < 0 ? undefined : text.indexOf('\n', pos));
  const col = pos - lineStart;
  const attr = /self\.(\w+)\s*=/.exec(line)?.[1] ?? /^\s*\('(\w+)'/.exec(line)?.[1];
  // the innermost call the number is an argument of, which argument, and where in a tuple argument
  let depth = 0, commas = 0, kw: string | undefined, callee: string | undefined, inTuple: number | undefined;
  let arg = 0;
  for (let i = col - 1; i >= 0; i--) {
    const ch = line[i]!;
    if (ch === ')' || ch === ']') depth++;
    else if (ch === '(' || ch === '[') {
      if (depth > 0) { depth--; continue; }
      const m = /(\w+)$/.exec(line.slice(0, i));
      if (m && (/^[A-Z]/.test(m[1]!) || ['zeros', 'Parameter'].includes(m[1]!))) { callee = m[1]; arg = commas; break; }
      if (inTuple !== undefined) break; // a tuple in a tuple: no argument to name it by
      inTuple = commas; commas = 0;
    } else if (ch === ',' && depth === 0) commas++;
    else if (ch === '=' && depth === 0 && !kw && line[i - 1] !== '=' && line[i + 1] !== '=') kw = /(\w+)$/.exec(line.slice(0, i))?.[1];
  }
  const argName = kw ?? (callee === 'zeros' ? 'shape' : callee && POSITIONAL[callee]?.[arg]) ?? `arg${arg}`;
  const what = inTuple === undefined ? argName : `${argName}_${inTuple}`;
  return [attr, what].filter(Boolean).join('_').replace(/[^A-Za-z0-9_]/g, '_').toLowerCase();
}

/**
 * The port's classes, children before parents, and how each instance is built (`scope → 'BasicBlock(64, 128)'`).
 * `instances` come in post-order (a scope after the scopes it builds).
 */
export function buildClasses(instances: Instance[]): { classes: PortClass[]; build: Map<string, string> } {
  const byScope = new Map(instances.map(i => [i.scope, i]));
  // 1. membership, bottom-up: the same base, construct and __init__ up to numbers, with children of the same classes
  const classOf = new Map<string, number>();
  const members: { base: string; key: string; scopes: string[] }[] = [];
  for (const inst of instances) {
    // a child stands as its class id, spelled with a letter first so that it is no number to replace
    const init = inst.init.join('\n').replace(PLACEHOLDER, (_, s: string) => `\u0002class${classOf.get(s)}\u0002`).replace(NUMBER, '\u0001');
    // modules of a recorded PyTorch class share a class only with that class; without one (TorchScript exports)
    // the code alone decides, and the class is named after its first module
    const key = `${inst.torchClass ? inst.base : ''}\n${init}\n${inst.construct.join('\n')}`;
    let k = members.findIndex(m => m.key === key);
    if (k < 0) { k = members.length; members.push({ base: inst.base, key, scopes: [] }); }
    members[k]!.scopes.push(inst.scope);
    classOf.set(inst.scope, k);
  }
  // 2. arguments, children's classes first (a class's first member comes after its children's first members)
  const build = new Map<string, string>();
  const names = new Map<number, string>();
  const classes: PortClass[] = [];
  const taken = new Set<string>();
  const order = [...members.keys()].sort((a, b) => instances.findIndex(i => classOf.get(i.scope) === a) - instances.findIndex(i => classOf.get(i.scope) === b));
  // a child class's arguments must be known before its parent's text: finalize lazily, children on demand
  const done = new Set<number>();
  const finalize = (k: number): void => {
    if (done.has(k)) return;
    done.add(k);
    const m = members[k]!;
    const texts = m.scopes.map(s => byScope.get(s)!.init.join('\n').replace(PLACEHOLDER, (_, c: string) => { finalize(classOf.get(c)!); return build.get(c)!; }));
    const numbers = texts.map(t => [...t.matchAll(NUMBER)]);
    const first = numbers[0]!;
    // positions whose value differs between members become arguments; positions with equal values across members share one
    const varying = first.map((_, p) => numbers.some(n => n[p]![0] !== first[p]![0]));
    const columns = new Map<string, number>(); // the members' values at a position → argument index
    const argOf: (number | undefined)[] = [];
    const args: string[] = [];
    first.forEach((_, p) => {
      if (!varying[p]) return;
      const col = numbers.map(n => n[p]![0]).join(',');
      let a = columns.get(col);
      if (a === undefined) {
        a = args.length;
        let n = nameAt(texts[0]!, first[p]!.index!);
        if (/^\d/.test(n) || !n) n = `arg_${n}`;
        while (args.includes(n)) n = `${n}_`;
        args.push(n);
        columns.set(col, a);
      }
      argOf[p] = a;
    });
    // the class text: the first member's, its varying numbers replaced by the arguments
    let init = '', last = 0;
    first.forEach((mt, p) => {
      if (argOf[p] === undefined) return;
      init += texts[0]!.slice(last, mt.index!) + args[argOf[p]!]!;
      last = mt.index! + mt[0].length;
    });
    init += texts[0]!.slice(last);
    const base = m.base;
    let name = base, n = 1;
    while (taken.has(name)) name = `${base}_${++n}`;
    taken.add(name);
    names.set(k, name);
    const inst = byScope.get(m.scopes[0]!)!;
    const indent = (l: string) => l.split('\n').map(x => `        ${x}`).join('\n');
    const body = [`    def __init__(self${args.map(a => `, ${a}`).join('')}):`, '        super().__init__()', ...init.split('\n').filter(l => l !== '').map(indent),
      ...(inst.construct.length ? ['', ...inst.construct] : [])].join('\n');
    const paths = m.scopes;
    const where = paths[0] === '' ? '' : paths.length > 3 ? `\`${paths[0]}\` and ${paths.length - 1} more` : paths.map(p => `\`${p}\``).join(', ');
    const doc = paths[0] === '' ? `The model${inst.torchClass ? ` (${inst.torchClass})` : ''}.` : `PyTorch ${paths.length > 1 ? 'modules' : 'module'} ${where}${inst.torchClass ? ` (${inst.torchClass})` : ''}.`;
    classes.push({ name, ...(inst.torchClass ? { torchClass: inst.torchClass } : {}), paths, text: [`class ${name}(nn.Cell):`, `    """${doc}"""`, body].join('\n') });
    m.scopes.forEach((s, j) => {
      const values = args.map((_, a) => numbers[j]![first.findIndex((__, p) => argOf[p] === a)]![0]);
      build.set(s, `${name}(${values.join(', ')})`);
    });
  };
  for (const k of order) finalize(k);
  return { classes, build };
}
