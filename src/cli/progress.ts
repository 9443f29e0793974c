/**
 * Progress for multi-model runs: one line on stderr, `[3/12] resnet18.onnx …`, rewritten in place for each model and
 * erased when done. Shown only when stderr is a terminal and `--quiet` is not given, so logs, pipes and CI output
 * never see it. Call `clear()` before writing anything else to the terminal (stdout shares it), and `done()` at the end.
 */

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): boolean;
}

export interface Progress {
  readonly enabled: boolean;
  /** show `[index/total] model …` (index is 1-based) */
  start(index: number, total: number, model: string): void;
  /** erase the line (before other output, or after a model) */
  clear(): void;
  /** erase the line for good; later calls do nothing */
  done(): void;
}

const ERASE = '\r\x1b[2K';

/** Keep the end of a long path, which names the model: `…/zoo/resnet18.onnx`. */
function fit(text: string, prefix: string, width: number): string {
  const room = width - prefix.length - 2; // ' …'
  if (text.length <= room) return text;
  return room > 1 ? `…${text.slice(text.length - (room - 1))}` : '';
}

export function createProgress(opts: { quiet?: boolean; stream?: ProgressStream } = {}): Progress {
  const stream: ProgressStream = opts.stream ?? process.stderr;
  const enabled = !!stream.isTTY && !opts.quiet;
  let shown = false, finished = false;
  if (!enabled) return { enabled, start() {}, clear() {}, done() {} };
  return {
    enabled,
    start(index, total, model) {
      if (finished) return;
      const prefix = `[${index}/${total}] `;
      const width = Math.max(20, (stream.columns ?? 80) - 1); // never wrap: a wrapped line cannot be erased with \r
      // a control character in a file name would move the cursor; show it as '?'
      stream.write(`${ERASE}${prefix}${fit(model.replace(/[\x00-\x1f\x7f-\x9f]/g, '?'), prefix, width)} …`);
      shown = true;
    },
    clear() {
      if (shown) { stream.write(ERASE); shown = false; }
    },
    done() {
      this.clear();
      finished = true;
    },
  };
}
