"""msport's bridge to a user's own MindSpore port (`msport check MODEL --port FILE.py:CLASS`).

Run by msport in a child process: `python msport_port.py REQUEST.json`. It builds the user's Cell in PyNative mode on
CPU, loads the weights whose names and shapes match the Cell's Parameters, runs every input sample and writes the
outputs as .npy files; RESULT.json says what it found. Only arrays (.npy) and JSON cross the process boundary.
"""
import importlib.util
import json
import os
import sys
import time
import traceback


def _fail(result_path, kind, message, **extra):
    with open(result_path, 'w') as f:
        json.dump({'error': {'kind': kind, 'message': message, **extra}}, f)
    return 0


def _flat(o):
    if isinstance(o, (tuple, list)):
        return [t for x in o for t in _flat(x)]
    return [o]


def _probe_dropout(ms, cell):
    """A Dropout Cell's drop rate and the scale of what it keeps, measured in train phase on ones: [dropped fraction,
    mean kept value, independent draws]. A random mask cannot be compared with PyTorch's; its rate can."""
    # 4-D first (Dropout2d drops whole channels: 64×256 draws), then 3-D (Dropout1d), then 2-D
    for shape in ((64, 256, 2, 2), (64, 256, 4), (256, 256)):
        try:
            cell.set_train(True)
            y = cell(ms.ops.ones(shape, ms.float32)).asnumpy()
        except Exception:  # noqa: BLE001 - a Dropout for another rank: try the next shape
            continue
        finally:
            cell.set_train(False)
        kept = y[y != 0]
        return [float((y == 0).mean()), float(kept.mean()) if kept.size else 0.0, int(shape[0] * shape[1])]
    return None


def main(request_path):
    req = json.load(open(request_path))
    result_path = req['result']
    try:
        import numpy as np
        import mindspore as ms
    except Exception as e:  # noqa: BLE001 - any import failure means the same thing to the user
        return _fail(result_path, 'no-mindspore', f'{type(e).__name__}: {e}')
    ms.set_context(mode=ms.PYNATIVE_MODE)
    try:
        sys.path.insert(0, os.path.dirname(os.path.abspath(req['file'])))
        spec = importlib.util.spec_from_file_location('msport_user_port', req['file'])
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        if not hasattr(mod, req['class']):
            return _fail(result_path, 'port', f"{req['file']} has no class {req['class']}")
        net = getattr(mod, req['class'])(**req.get('args', {}))
    except Exception as e:  # noqa: BLE001 - the user's code: report where it failed, one line
        tb = traceback.extract_tb(e.__traceback__)
        where = next((f'{os.path.basename(t.filename)}:{t.lineno}' for t in reversed(tb) if t.filename == os.path.abspath(req['file'])), '')
        return _fail(result_path, 'port', f"building {req['class']} failed{' at ' + where if where else ''}: {type(e).__name__}: {e}")
    net.set_train(bool(req.get('train')))
    # train phase: each Dropout Cell's rate is measured, and the Cell is run in predict phase (the reference runs
    # PyTorch's Dropouts off too: two frameworks never draw the same random mask)
    dropouts = []
    if req.get('train'):
        for name, cell in net.cells_and_names():
            if name and 'Dropout' in type(cell).__name__:
                probe = _probe_dropout(ms, cell)
                if probe:
                    dropouts.append([name, type(cell).__name__, *probe])
    params = [[p.name, list(p.shape)] for _, p in net.parameters_and_names()]
    loaded = []
    if req.get('weights'):
        w = req['weights']
        entries = ms.load_checkpoint(w, format='safetensors') if w.endswith('.safetensors') else ms.load_checkpoint(w)
        shapes = dict((n, tuple(s)) for n, s in params)
        usable = {k: v for k, v in entries.items() if k in shapes and tuple(v.shape) == shapes[k]}
        if usable:
            ms.load_param_into_net(net, usable, strict_load=False)
        loaded = sorted(usable)
    # --layers: every Cell's output on the first sample, in the order the Cells ran (forward hooks)
    layers, calls, recording = [], {}, [True]

    def hook_for(name):
        def hook(cell, inputs, output):
            if not recording[0]:
                return None
            calls[name] = calls.get(name, 0) + 1
            outs = [o for o in _flat(output) if isinstance(o, ms.Tensor)]
            if outs:
                k = len(layers)
                p = os.path.join(req['out'], f'layer_{k}.npy')
                np.save(p, outs[0].asnumpy())
                # its inputs too: msport reruns the layer on them, so that only the Cell's own error counts
                ins = []
                for i, t in enumerate(x for x in _flat(inputs) if isinstance(x, ms.Tensor)):
                    q = os.path.join(req['out'], f'layer_{k}_in_{i}.npy')
                    np.save(q, t.asnumpy())
                    ins.append(q)
                layers.append([name, calls[name], type(cell).__name__, p, ins])
            return None
        return hook

    if req.get('layers'):
        for name, cell in net.cells_and_names():
            if name:
                cell.register_forward_hook(hook_for(name))
    outputs, times, states = [], [], []
    for s, sample in enumerate(req['inputs']):
        recording[0] = s == 0
        xs = [ms.Tensor(np.load(p)) for p in sample]
        t0 = time.perf_counter()
        try:
            out = net(*xs)
        except Exception as e:  # noqa: BLE001
            tb = traceback.extract_tb(e.__traceback__)
            where = next((f'{os.path.basename(t.filename)}:{t.lineno}' for t in reversed(tb) if t.filename == os.path.abspath(req['file'])), '')
            # the innermost Cell of the port whose construct was running: the Cell that failed
            cell, failed = None, None
            try:  # naming the Cell must never hide the user's error
                names = {id(c): n for n, c in net.cells_and_names() if n}
                t = e.__traceback__
                while t is not None:
                    obj = t.tb_frame.f_locals.get('self')
                    if id(obj) in names and t.tb_frame.f_code.co_name == 'construct':
                        failed = {'cell': names[id(obj)], 'cls': type(obj).__name__, 'shapes': []}
                    t = t.tb_next
                if failed:
                    # its inputs' shapes as it was called (its construct may have rebound them since): run the sample
                    # again with a pre-hook on that Cell only; the failure repeats
                    target = next(c for n, c in net.cells_and_names() if n == failed['cell'])

                    def pre(_cell, inputs):
                        failed['shapes'] = [list(x.shape) for x in _flat(inputs) if isinstance(x, ms.Tensor)]
                    handle = target.register_forward_pre_hook(pre)
                    try:
                        net(*xs)
                    except Exception:  # noqa: BLE001 - the same failure, expected
                        pass
                    handle.remove()
                    shown = ', '.join(str(tuple(x)) for x in failed['shapes'][:2])
                    cell = f"Cell {failed['cell']} ({failed['cls']})" + (f' on input {shown}' if shown else '')
            except Exception:  # noqa: BLE001
                pass
            msg = f"{req['class']} failed on sample {s}{' in ' + cell if cell else ''}{' at ' + where if where else ''}: {type(e).__name__}: {e}"
            return _fail(result_path, 'run', msg.strip().split('\n')[0], sample=s, **({'failed': failed} if failed else {}))
        times.append((time.perf_counter() - t0) * 1000)
        if s == 0 and req.get('train'):
            # a train-phase step updates the moving statistics: keep them as the first sample left them
            for name, cell in net.cells_and_names():
                mean, var = getattr(cell, 'moving_mean', None), getattr(cell, 'moving_variance', None)
                if isinstance(mean, ms.Parameter) and isinstance(var, ms.Parameter):
                    paths = [os.path.join(req['out'], f'state_{len(states)}_{k}.npy') for k in ('mean', 'var')]
                    np.save(paths[0], mean.asnumpy())
                    np.save(paths[1], var.asnumpy())
                    states.append([name, *paths])
        paths = []
        for j, o in enumerate(_flat(out)):
            p = os.path.join(req['out'], f'out_{s}_{j}.npy')
            np.save(p, o.asnumpy())
            paths.append(p)
        outputs.append(paths)
    with open(result_path, 'w') as f:
        json.dump({'params': params, 'loaded': loaded, 'outputs': outputs, 'ms': times, 'mindspore': ms.__version__, 'layers': layers, 'states': states, 'dropouts': dropouts}, f)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
