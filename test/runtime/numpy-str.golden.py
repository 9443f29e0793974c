# Goldens for test/runtime/numpy-str.test.ts: numpy's own str() of each array (MindSpore 2.10's str(Tensor) is
# str(asnumpy())). Regenerate with numpy 1.26.4 (conformance/requirements.txt):
#   conformance/.venv/bin/python test/runtime/numpy-str.golden.py > test/runtime/numpy-str.golden.json
import json, numpy as np
rng = np.random.default_rng(7)
cases = [
  ("float32", [5], [0.1, -2.5, 3.0, 1e-5, 123456.7]),
  ("float32", [2, 3], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
  ("float32", [4], [1e10, -1e-10, 0.0, 1.5]),
  ("float32", [3], [float("nan"), float("inf"), -0.0]),
  ("float16", [3], [0.1, 65504.0, -0.333]),
  ("float64", [3], [1/3, 2/3, 1e-9]),
  ("float32", [3, 4], rng.standard_normal(12).astype(np.float32).tolist()),
  ("float32", [2, 2, 3], rng.standard_normal(12).astype(np.float32).tolist()),
  ("float32", [1200], rng.standard_normal(1200).astype(np.float32).tolist()),
  ("float32", [40], rng.standard_normal(40).astype(np.float32).tolist()),
  ("int32", [2, 3], [1, -20, 300, 4, 5, 6]),
  ("int64", [4], [0, -1, 9007199254740991, 12]),
  ("bool", [3], [True, False, True]),
  ("float32", [], [2.5]),
  ("float32", [0], []),
]
out = []
for dt, shape, vals in cases:
    a = np.array(vals, dtype=dt).reshape(shape)
    # values as Python reprs of the stored element ('nan', 'inf', '-0.0', exact ints) so JSON carries them all
    values = [str(x) for x in a.ravel()] if a.dtype.kind in "iub" else [repr(float(x)) for x in a.ravel()]
    out.append({"dtype": dt, "shape": shape, "values": values, "str": str(a)})
print(json.dumps({"numpy": np.__version__, "cases": out}, indent=1))
