"""Input generators: each case names its inputs as data; numpy draws them from the case's seed."""
import numpy as np

# Special float32 values an op must treat as MindSpore does: NaN, both infinities, the largest finite values, a
# subnormal, signed zeros, values past exp's overflow point, and ordinary values in between.
EDGE = np.array([np.nan, np.inf, -np.inf, 3.4e38, -3.4e38, 1e-40, -1e-40, 0.0, -0.0, 89.0, -89.0, 1e4, -1e4,
                 0.5, -0.5, 2.0, -2.0, 1e-7, 20.0, -20.0], dtype=np.float32)


def generate(spec, rng):
    """{"randn": shape} | {"uniform": [lo, hi, shape]} | {"randint": [lo, hi, shape]} | {"bool": shape}
    | {"edge": shape} | {"float16_all": true} | {"const": nested} — with an optional "dtype" (float32 unless said)."""
    dtype = np.dtype(spec.get('dtype', 'float32'))
    if 'randn' in spec:
        a = rng.standard_normal(spec['randn']) * spec.get('scale', 1.0)
    elif 'uniform' in spec:
        lo, hi, shape = spec['uniform']
        a = rng.uniform(lo, hi, shape)
    elif 'randint' in spec:
        lo, hi, shape = spec['randint']
        a = rng.integers(lo, hi, shape)
        dtype = np.dtype(spec.get('dtype', 'int32'))
    elif 'bool' in spec:
        a = rng.random(spec['bool']) < 0.5
        dtype = np.dtype('bool')
    elif 'edge' in spec:
        n = int(np.prod(spec['edge']))
        a = np.concatenate([EDGE, rng.standard_normal(max(0, n - EDGE.size)).astype(np.float32) * 3])[:n]
        a = a.reshape(spec['edge'])
    elif 'arange' in spec:  # large tensors without drawing: i·scale
        a = np.arange(spec['arange'], dtype=dtype) * dtype.type(spec.get('scale', 1.0))
        return a.reshape(spec.get('shape', [spec['arange']]))
    elif 'float16_all' in spec:  # every finite float16 value, in bit order (63,488 values)
        bits = np.arange(0, 1 << 16, dtype=np.uint16).view(np.float16)
        return np.ascontiguousarray(bits[np.isfinite(bits)])
    elif 'const' in spec:
        a = np.array(spec['const'])
    else:
        raise ValueError(f'unknown input spec {spec!r}')
    return np.array(a, dtype=dtype, order='C')
