"""Write a case directory and run its MindSpore side.

A case directory holds case.json (the case, defined once) and tensors.safetensors (its inputs, MindSpore's initial
weights as param/<name>, output sensitivities as sens/<i>). Each side then writes <side>.json and
<side>.safetensors with the same layout: {"error", "repr", "params": [{name, shape, dtype, requires_grad, repr}],
"outputs"}, tensors out/<i>, grad_in/<i>, grad_param/<name>, after/<name> (parameters after a train-phase forward),
param/<name>, sample, step<k>/<name>, loss/<k>.
"""
import json
import os
import traceback

import numpy as np
import mindspore as ms
from mindspore import nn, ops
from safetensors.numpy import save_file, load_file

from .values import build_cell, decode
from .inputs import generate
from . import programs

SIDES = ('mindspore', 'msport')


def flat(o):
    if isinstance(o, (tuple, list)):
        return [t for x in o if x is not None for t in flat(x)]
    return [o]


def restructure(like, items):
    """Put a flat list back into the nesting of `like` (a Cell's output structure)."""
    it = iter(items)

    def go(o):
        if isinstance(o, (tuple, list)):
            return tuple(go(x) for x in o if x is not None)
        return next(it)
    return go(like)


def dtype_name(t):
    return str(t.dtype)


def describe(net):
    return {'repr': repr(net), 'params': [
        {'name': name, 'shape': list(p.shape), 'dtype': str(p.dtype), 'requires_grad': bool(p.requires_grad), 'repr': repr(p)}
        for name, p in net.parameters_and_names()]}


def np_of(t):
    a = t.asnumpy() if hasattr(t, 'asnumpy') else np.asarray(t)
    return np.array(a, order='C')  # not ascontiguousarray: it turns a 0-d result into shape (1,)


class Case:
    def __init__(self, root, spec):
        self.spec = dict(spec)
        self.id = spec['id']
        self.dir = os.path.join(root, safe_name(self.id))
        self.tensors = {}

    def tensor(self, key):
        return self.tensors[key]

    def write(self):
        os.makedirs(self.dir, exist_ok=True)
        with open(os.path.join(self.dir, 'case.json'), 'w') as f:
            json.dump(self.spec, f, indent=1)
        save_file(self.tensors, os.path.join(self.dir, 'tensors.safetensors'))


def safe_name(case_id):
    return ''.join(c if c.isalnum() or c in '-_.' else '_' for c in case_id)


def save_result(case_dir, side, result, tensors):
    save_file({k: np.array(v, order='C') for k, v in tensors.items()}, os.path.join(case_dir, f'{side}.safetensors'))
    with open(os.path.join(case_dir, f'{side}.json'), 'w') as f:
        json.dump(result, f, indent=1)


def load_result(case_dir, side):
    p = os.path.join(case_dir, f'{side}.json')
    if not os.path.exists(p):
        return {'error': f'{side} wrote no result'}, {}
    with open(p) as f:
        result = json.load(f)
    st = os.path.join(case_dir, f'{side}.safetensors')
    return result, (load_file(st) if os.path.exists(st) and os.path.getsize(st) > 8 else {})


def prepare(root, spec):
    """Write the case and run MindSpore on it; a MindSpore exception becomes the side's recorded error."""
    case = Case(root, spec)
    rng = np.random.default_rng(spec.get('seed', 0) + 7919)
    for i, s in enumerate(spec.get('input_specs', [])):
        case.tensors[f'input/{i}'] = generate(s, rng)
    for k, s in spec.get('named_inputs', {}).items():
        case.tensors[k] = generate(s, rng)
    case.spec['inputs'] = [f'input/{i}' for i in range(len(spec.get('input_specs', [])))]
    result, out = {'error': None}, {}
    try:
        ms.set_seed(spec.get('seed', 0))
        KINDS[spec['kind']](case, rng, result, out)
    except Exception as e:  # MindSpore refusing a case is a result, compared with msport's
        result['error'] = f'{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ""}'
        result['traceback'] = traceback.format_exc(limit=4)
    case.write()
    save_result(case.dir, 'mindspore', result, out)
    return case


def _inputs(case):
    return [ms.Tensor(case.tensors[k]) for k in case.spec['inputs']]


def run_cell(case, rng, result, out):
    spec = case.spec
    net = build_cell(spec['cell'], case.tensor)
    result.update(describe(net))
    if spec.get('forward') is False:
        return
    for name, p in net.parameters_and_names():
        case.tensors[f'param/{name}'] = np_of(p)
    net.set_train(spec.get('train', False))
    xs = _inputs(case)
    o = net(*xs)
    outs = flat(o)
    for i, t in enumerate(outs):
        out[f'out/{i}'] = np_of(t)
    result['outputs'] = [f'out/{i}' for i in range(len(outs))]
    if spec.get('train'):
        for name, p in net.parameters_and_names():
            out[f'after/{name}'] = np_of(p)
    if spec.get('grad'):
        sens = [np.array(rng.standard_normal(t.shape), dtype=np_of(t).dtype) for t in outs]
        for i, s in enumerate(sens):
            case.tensors[f'sens/{i}'] = s
        for name, p in net.parameters_and_names():  # a train-phase forward moved the statistics: start again
            p.set_data(ms.Tensor(case.tensors[f'param/{name}']))
        weights = ms.ParameterTuple(net.trainable_params())
        go = ops.GradOperation(get_all=True, get_by_list=True, sens_param=True)
        s = restructure(o, [ms.Tensor(x) for x in sens])
        s = s if isinstance(o, (tuple, list)) else s
        gi, gw = go(net, weights)(*xs, s)
        for i, g in enumerate(gi):
            if np_of(xs[i]).dtype.kind == 'f':
                out[f'grad_in/{i}'] = np_of(g)
        for p, g in zip(weights, gw):
            out[f'grad_param/{p.name}'] = np_of(g)


def run_op(case, rng, result, out):
    spec = case.spec
    fn = getattr(ops, spec['op'])
    args = [decode(a, case.tensor) for a in spec.get('args', [])]
    kwargs = {k: decode(v, case.tensor) for k, v in spec.get('kwargs', {}).items()}
    o = fn(*args, **kwargs)
    outs = flat(o)
    for i, t in enumerate(outs):
        out[f'out/{i}'] = np_of(t)
    result['outputs'] = [f'out/{i}' for i in range(len(outs))]
    if spec.get('grad'):
        positions = [i for i, a in enumerate(args) if isinstance(a, ms.Tensor) and np_of(a).dtype.kind == 'f']
        sens = [np.array(rng.standard_normal(np_of(t).shape), dtype=np_of(t).dtype) for t in outs]
        for i, s in enumerate(sens):
            case.tensors[f'sens/{i}'] = s

        def f(*ts):
            a = list(args)
            for p, t in zip(positions, ts):
                a[p] = t
            return fn(*a, **kwargs)
        go = ops.GradOperation(get_all=True, sens_param=True)
        s = restructure(o, [ms.Tensor(x) for x in sens])
        g = go(f)(*[args[p] for p in positions], s)
        for p, t in zip(positions, flat(g)):
            out[f'grad_in/{p}'] = np_of(t)


def run_init(case, rng, result, out):
    spec = case.spec
    ms.set_seed(spec.get('seed', 0))
    if 'cell' in spec:
        net = build_cell(spec['cell'], case.tensor)
        result.update(describe(net))
        for name, p in net.parameters_and_names():
            out[f'param/{name}'] = np_of(p)
        return
    from mindspore.common.initializer import initializer
    init = decode(spec['init'], case.tensor)
    t = initializer(init, spec['shape'], decode({'dtype': spec.get('dtype', 'float32')}, None))
    out['sample'] = np_of(t.init_data())


def run_ckpt_write(case, rng, result, out):
    """msport writes the file; MindSpore's part runs in the test, after the msport side."""
    net = build_cell(case.spec['cell'], case.tensor)
    result.update(describe(net))


def run_ckpt_read(case, rng, result, out):
    spec = case.spec
    entries = []
    for e in spec['entries']:
        a = generate(e['value'], rng)
        entries.append({'name': e['name'], 'data': ms.Parameter(ms.Tensor(a, dtype=decode({'dtype': e.get('ms_dtype', e['value'].get('dtype', 'float32'))}, None)), name=e['name'])})
    fmt = spec.get('format', 'ckpt')
    path = os.path.join(case.dir, spec['file'])
    os.makedirs(case.dir, exist_ok=True)
    if os.path.exists(path):
        os.chmod(path, 0o600)
        os.remove(path)
    crc = spec.get('crc_check', False)
    ms.save_checkpoint([{'name': e['name'], 'data': e['data']} for e in entries], path, format=fmt, crc_check=crc,
                       append_dict=spec.get('append_dict'))
    # what MindSpore itself reads back: Parameters (appended numbers included) and appended strings
    loaded = ms.load_checkpoint(path, format=fmt, crc_check=crc)
    result['params'] = [{'name': k, 'shape': list(v.shape), 'dtype': str(v.dtype)} for k, v in loaded.items() if not isinstance(v, str)]
    result['info'] = {'strings': {k: v for k, v in loaded.items() if isinstance(v, str)}}
    for k, v in loaded.items():
        if not isinstance(v, str):
            out[f'param/{k}'] = np_of(v)


def run_train(case, rng, result, out):
    spec = case.spec
    net = build_cell(spec['cell'], case.tensor)
    result.update(describe(net))
    for name, p in net.parameters_and_names():
        case.tensors[f'param/{name}'] = np_of(p)
    loss = build_cell(spec['loss'], case.tensor)
    o = spec['optimizer']
    kwargs = {k: decode(v, case.tensor) for k, v in o.get('kwargs', {}).items()}
    opt = getattr(nn, o['cls'])(net.trainable_params(), **kwargs)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    step.set_train(True)
    data, label = _inputs(case)
    for k in range(1, spec['steps'] + 1):
        l = step(data, label)
        if k in spec.get('record', []):
            out[f'loss/{k}'] = np_of(l)
            for name, p in net.parameters_and_names():
                out[f'step{k}/{name}'] = np_of(p)


def run_tensor_repr(case, rng, result, out):
    x = case.tensors['input/0']
    t = ms.Tensor(x)
    result['info'] = {'repr': repr(t), 'str': str(t), 'param_repr': repr(ms.Parameter(t, name='p'))}


def run_program(case, rng, result, out):
    out.update(programs.PROGRAMS[case.spec['program']](lambda k: ms.Tensor(case.tensors[k])))


KINDS = {'cell': run_cell, 'op': run_op, 'init': run_init, 'ckpt_write': run_ckpt_write, 'ckpt_read': run_ckpt_read,
         'train': run_train, 'program': run_program, 'tensor_repr': run_tensor_repr}
