// A dense float32 tensor: a Float32Array and a shape, row-major (NCHW for images).
export type Shape = readonly number[];

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Number of elements of `shape`; throws when a dimension is not a non-negative integer. */
export function shapeSize(shape: Shape, what = 'shape'): number {
  if (!Array.isArray(shape)) throw new TypeError(`${what} must be an array of integers, got ${typeof shape}`);
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${what} ${formatShape(shape)} must hold non-negative integers`);
    }
    size *= d;
  }
  if (!Number.isSafeInteger(size)) throw new RangeError(`${what} ${formatShape(shape)} is too large`);
  return size;
}

export class Tensor {
  readonly data: Float32Array;
  readonly shape: Shape;

  /** Wraps `data` without copying it: native kernels read and write this very buffer. */
  constructor(data: Float32Array, shape: Shape) {
    if (!(data instanceof Float32Array)) throw new TypeError('tensor data must be a Float32Array');
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new RangeError(`tensor data has ${data.length} elements, shape ${formatShape(shape)} needs ${size}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Same data, new shape; one dimension may be -1 (inferred). */
  reshape(shape: Shape): Tensor {
    const inferred = shape.indexOf(-1);
    if (inferred >= 0) {
      const rest = shapeSize(shape.filter((_, i) => i !== inferred), 'reshape');
      if (rest === 0 || this.size % rest !== 0) {
        throw new RangeError(`cannot reshape ${formatShape(this.shape)} to ${formatShape(shape)}`);
      }
      shape = shape.map((d, i) => (i === inferred ? this.size / rest : d));
    }
    if (shapeSize(shape, 'reshape') !== this.size) {
      throw new RangeError(`cannot reshape ${formatShape(this.shape)} (${this.size} elements) to ${formatShape(shape)}`);
    }
    return new Tensor(this.data, shape);
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  toString(): string {
    return `Tensor${formatShape(this.shape)}`;
  }
}

/** A tensor over `data` (a Float32Array is used as is, other arrays are copied). */
export function tensor(data: Float32Array | ArrayLike<number>, shape?: Shape): Tensor {
  const array = data instanceof Float32Array ? data : Float32Array.from(data);
  return new Tensor(array, shape ?? [array.length]);
}

export function zeros(shape: Shape): Tensor {
  return new Tensor(new Float32Array(shapeSize(shape)), shape);
}

export function full(shape: Shape, value: number): Tensor {
  return new Tensor(new Float32Array(shapeSize(shape)).fill(value), shape);
}
