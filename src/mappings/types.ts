/**
 * One PyTorch API and how it ports to MindSpore, as data. The importer builds Cells from these entries, `inspect`
 * and the API-difference report print them; nothing about an API's port lives outside its entry.
 */
export interface ArgRename {
  torch: string;
  ms: string;
  note?: string;
}

export interface DefaultDifference {
  /** MindSpore argument name */
  arg: string;
  torch: string | number | boolean | null;
  ms: string | number | boolean | null;
  /** What a port must do about it */
  note: string;
}

export interface ParamRename {
  /** state_dict key suffix in PyTorch */
  torch: string;
  /** Parameter name in MindSpore */
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
  /** Weight layout change, if any */
  layout?: string;
  notes?: string[];
  /** Official difference page or API page */
  doc?: string;
  /** MindSpore versions this entry holds for (semver range) */
  versions: string;
  /** ONNX op types this API exports to (torch 1.13 exporter) */
  onnx?: string[];
}
