/**
 * User-facing errors carry a stable code and the exit code the CLI returns (0 parity, 1 mismatch, 2 usage/unreadable,
 * 3 unsupported operators). Anything else reaching the top level is an internal bug.
 */
export class MsportError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode = 2) {
    super(message);
    this.name = 'MsportError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

export class UsageError extends MsportError {
  constructor(message: string) { super('MSPORT_USAGE', message, 2); }
}

export class ModelLoadError extends MsportError {
  constructor(message: string) { super('MSPORT_BAD_MODEL', message, 2); }
}

export interface UnsupportedOp { opType: string; domain: string; opset: number; count: number; nodes: string[] }

export class UnsupportedOpsError extends MsportError {
  readonly ops: UnsupportedOp[];
  constructor(ops: UnsupportedOp[]) {
    super('MSPORT_UNSUPPORTED_OP',
      `unsupported operators: ${ops.map(o => `${o.domain ? o.domain + '::' : ''}${o.opType} (opset ${o.opset}) x${o.count}`).join(', ')}`, 3);
    this.ops = ops;
  }
}

/** An error raised while running one imported node, naming the node so a user can find it in the graph. */
export class NodeExecutionError extends MsportError {
  constructor(node: string, opType: string, cause: unknown) {
    super('MSPORT_RUNTIME', `node ${node} (${opType}) failed: ${cause instanceof Error ? cause.message : String(cause)}`, 2);
  }
}
