/**
 * One PyTorch API and how it ports to MindSpore, as data. The importer builds Cells from these entries, `inspect`
 * and the API-difference report print them; nothing about an API's port lives outside its entry.
 */
export interface ArgRename {
  torch: string;
  ms: string;
  note?: string;
}

/**
 * What a default difference changes when a port keeps MindSpore's default: the forward pass in predict phase,
 * only training behaviour (momentum, dropout, which parameters learn), or only the initial weights.
 */
export type DifferenceEffect = 'forward' | 'training' | 'init';

export interface DefaultDifference {
  /** MindSpore argument name; also the id the importer and the report use (`torch.nn.Conv2d#pad_mode`) */
  arg: string;
  torch: string | number | boolean | null;
  ms: string | number | boolean | null;
  effect: DifferenceEffect;
  /** What a port must do about it */
  note: string;
}

export interface ParamRename {
  /** state_dict key suffix in PyTorch */
  torch: string;
  /** Parameter attribute name in MindSpore (a plain identifier; the checkpoint key is the attribute path) */
  ms: string;
}

export interface MappingRule {
  /** Full PyTorch name, e.g. `torch.nn.Conv2d` */
  torch: string;
  /** Full MindSpore name, e.g. `mindspore.nn.Conv2d` */
  ms: string;
  kind: 'cell' | 'function' | 'tensor-method';
  args?: ArgRename[];
  defaults?: DefaultDifference[];
  params?: ParamRename[];
  /** MindSpore Parameters with no PyTorch counterpart (they keep their initializer values after a port) */
  msOnlyParams?: string[];
  /** state_dict entries PyTorch keeps and MindSpore has no place for (a port drops them when converting weights) */
  torchOnlyBuffers?: string[];
  /** Weight layout change, if any */
  layout?: string;
  /** PyTorch arguments or argument values MindSpore lacks (`padding_mode='circular'`, `proj_size`) */
  notSupported?: string[];
  notes?: string[];
  /** One line: what breaks in a port that ignores this entry */
  consequence: string;
  /** Official difference page or API page on mindspore.cn */
  doc: string;
  /** MindSpore versions this entry holds for (semver range) */
  versions: string;
  /** ONNX op types this API exports to (torch 1.13 exporter) */
  onnx?: string[];
  /**
   * How the MindSpore Cell is built with float16 Parameters (a half-precision port: a checkpoint's float16 values
   * loaded into float32 Parameters become float32): `dtype=ms.float16`, or an argument given a float16 zeros tensor of
   * the Parameter's shape (nn.Embedding's `dtype` is not its table's) — checked in conformance/test_mapping.py
   */
  float16?: { arg: string; zerosOf?: string };
}
