import { msDTypeName } from './dtype.js';
import { Tensor, shapeStr } from './tensor.js';

/**
 * mindspore.Parameter: a named Tensor a Cell owns. Made without a name it is called `Parameter`; assigned to a Cell
 * attribute it takes the attribute's name, and auto_prefix prepends the attribute path of each enclosing Cell.
 */
export class Parameter extends Tensor {
  name: string;

  constructor(data: Tensor, name?: string, requiresGrad = true) {
    super(data.data, data.shape, data.dtype);
    this.name = name ?? 'Parameter';
    this.requiresGrad = requiresGrad;
  }

  /** Replace the value; the shape must match unless sliceShape. */
  setData(data: Tensor, sliceShape = false): this {
    if (!sliceShape && data.shape.join() !== this.shape.join()) {
      throw new Error(`Parameter ${this.name}: set_data shape ${shapeStr(data.shape)} does not match ${shapeStr(this.shape)}`);
    }
    if (data.dtype !== this.dtype) throw new Error(`Parameter ${this.name}: set_data dtype ${data.dtype} does not match ${this.dtype}`);
    this.data = data.data;
    if (sliceShape) (this as { shape: readonly number[] }).shape = Object.freeze([...data.shape]);
    return this;
  }

  override toString(): string {
    return `Parameter (name=${this.name}, shape=${shapeStr(this.shape)}, dtype=${msDTypeName[this.dtype]}, requires_grad=${this.requiresGrad ? 'True' : 'False'})`;
  }
}
