// Max, average and global average pooling over NCHW tensors.
import { binding } from '../native';
import { Tensor, zeros, formatShape, type Shape } from '../tensor';
import { pair, expect4d, expectShape, expectDisjoint, outputSize, positiveSizes, type Pair } from './window';

export interface Pool2dOptions {
  kernelSize: Pair;
  /** Default: kernelSize. */
  stride?: Pair;
  /** Implicit padding on both sides, at most half the kernel (-∞ for max, 0 for average). */
  padding?: Pair;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /** Divide by the whole kernel area even where it overlaps padding (PyTorch's default, true). */
  countIncludePad?: boolean;
}

// N, C, H, W, KH, KW, strideH, strideW, padH, padW
type NativeGeometry = [number, number, number, number, number, number, number, number, number, number];
type PlaneShape = [number, number, number, number];
type F32 = Float32Array;
const nativeMaxForward = binding<(x: F32, y: F32, idx: Int32Array, ...g: NativeGeometry) => void>('maxPool2dForward');
const nativeMaxBackward =
  binding<(dy: F32, idx: Int32Array, dx: F32, ...g: [...PlaneShape, number, number]) => void>('maxPool2dBackward');
const nativeAvgForward =
  binding<(x: F32, y: F32, includePad: boolean, ...g: NativeGeometry) => void>('avgPool2dForward');
const nativeAvgBackward =
  binding<(dy: F32, dx: F32, includePad: boolean, ...g: NativeGeometry) => void>('avgPool2dBackward');
const nativeGlobalForward = binding<(x: F32, y: F32, ...g: PlaneShape) => void>('globalAvgPool2dForward');
const nativeGlobalBackward = binding<(dy: F32, dx: F32, ...g: PlaneShape) => void>('globalAvgPool2dBackward');

function expectImageShape(shape: Shape, name: string): void {
  if (!Array.isArray(shape) || shape.length !== 4 || !positiveSizes(shape)) {
    throw new RangeError(`${name} must be 4-D [N, C, H, W] with positive sizes, got ${formatShape(shape)}`);
  }
}

function geometry(xShape: Shape, opts: Pool2dOptions): { outShape: PlaneShape; native: NativeGeometry } {
  expectImageShape(xShape, 'x');
  if (opts?.kernelSize === undefined) throw new TypeError('kernelSize is required');
  const [N, C, H, W] = xShape;
  const [KH, KW] = pair(opts.kernelSize, 'kernelSize', 1);
  const [sh, sw] = pair(opts.stride ?? [KH, KW], 'stride', 1);
  const [ph, pw] = pair(opts.padding ?? 0, 'padding', 0);
  if (2 * ph > KH || 2 * pw > KW) {
    throw new RangeError(`padding [${ph}, ${pw}] must be at most half of kernelSize [${KH}, ${KW}]`);
  }
  const OH = outputSize(H, KH, sh, ph, ph, 1);
  const OW = outputSize(W, KW, sw, pw, pw, 1);
  if (OH < 1 || OW < 1) {
    throw new RangeError(`kernelSize [${KH}, ${KW}] is larger than x ${formatShape(xShape)} padded by [${ph}, ${pw}]`);
  }
  return { outShape: [N, C, OH, OW], native: [N, C, H, W, KH, KW, sh, sw, ph, pw] };
}

/** Shape [N, C, OH, OW] of a max or average pool of x with these options. */
export function pool2dOutputShape(xShape: Shape, opts: Pool2dOptions): number[] {
  return [...geometry(xShape, opts).outShape];
}

function output(given: Tensor | undefined, shape: Shape, x: Tensor, what: string): Tensor {
  const y = given ?? zeros(shape);
  expectShape(y, shape, 'out', () => `${what} of x ${formatShape(x.shape)}`);
  expectDisjoint(x, y, 'x', 'out');
  return y;
}

/**
 * y = max over each window; indices[n, c, oh, ow] = ih·W + iw of the window's first maximum
 * within its plane (a NaN wins, like PyTorch), for maxPool2dBackward.
 */
export function maxPool2d(x: Tensor, opts: Pool2dOptions & { out?: Tensor; indices?: Int32Array }):
  { y: Tensor; indices: Int32Array } {
  expect4d(x, 'x');
  const g = geometry(x.shape, opts);
  const y = output(opts.out, g.outShape, x, 'maxPool2d');
  const indices = opts.indices ?? new Int32Array(y.size);
  if (!(indices instanceof Int32Array) || indices.length !== y.size) {
    throw new RangeError(`indices must be an Int32Array of ${y.size} elements (output ${formatShape(g.outShape)})`);
  }
  nativeMaxForward(x.data, y.data, indices, ...g.native);
  return { y, indices };
}

/** dx = dL/dx of a max pool: dy routed to the argmax `indices` of maxPool2d (dx overwritten). */
export function maxPool2dBackward(dy: Tensor, indices: Int32Array, xShape: Shape, dx?: Tensor): Tensor {
  expect4d(dy, 'dy');
  expectImageShape(xShape, 'xShape');
  const [N, C, H, W] = xShape;
  const [, , OH, OW] = dy.shape;
  expectShape(dy, [N, C, OH, OW], 'dy', () => `N and C of xShape ${formatShape(xShape)}`);
  if (!(indices instanceof Int32Array) || indices.length !== dy.size) {
    throw new RangeError(`indices must be an Int32Array of ${dy.size} elements, like dy ${formatShape(dy.shape)}`);
  }
  const grad = dx ?? zeros(xShape);
  expectShape(grad, xShape, 'dx', 'xShape');
  expectDisjoint(dy, grad, 'dy', 'dx');
  nativeMaxBackward(dy.data, indices, grad.data, N, C, H, W, OH, OW);
  return grad;
}

/** y = mean over each window (see countIncludePad). */
export function avgPool2d(x: Tensor, opts: AvgPool2dOptions & { out?: Tensor }): Tensor {
  expect4d(x, 'x');
  const g = geometry(x.shape, opts);
  const y = output(opts.out, g.outShape, x, 'avgPool2d');
  nativeAvgForward(x.data, y.data, opts.countIncludePad ?? true, ...g.native);
  return y;
}

/** dx = dL/dx of avgPool2d(x, opts) given dy (dx overwritten). */
export function avgPool2dBackward(dy: Tensor, xShape: Shape, opts: AvgPool2dOptions & { dx?: Tensor }): Tensor {
  const g = geometry(xShape, opts);
  expectShape(dy, g.outShape, 'dy', () => `avgPool2d of x ${formatShape(xShape)}`);
  const dx = opts.dx ?? zeros(xShape);
  expectShape(dx, xShape, 'dx', 'xShape');
  expectDisjoint(dy, dx, 'dy', 'dx');
  nativeAvgBackward(dy.data, dx.data, opts.countIncludePad ?? true, ...g.native);
  return dx;
}

/** y [N, C, 1, 1] = mean of each H×W plane of x [N, C, H, W]. */
export function globalAvgPool2d(x: Tensor, out?: Tensor): Tensor {
  expect4d(x, 'x');
  expectImageShape(x.shape, 'x');
  const [N, C, H, W] = x.shape;
  const y = output(out, [N, C, 1, 1], x, 'globalAvgPool2d');
  nativeGlobalForward(x.data, y.data, N, C, H, W);
  return y;
}

/** dx = dL/dx of globalAvgPool2d: dy / (H·W) spread over each plane (dx overwritten). */
export function globalAvgPool2dBackward(dy: Tensor, xShape: Shape, dx?: Tensor): Tensor {
  expectImageShape(xShape, 'xShape');
  const [N, C, H, W] = xShape;
  expectShape(dy, [N, C, 1, 1], 'dy', () => `globalAvgPool2d of x ${formatShape(xShape)}`);
  const grad = dx ?? zeros(xShape);
  expectShape(grad, xShape, 'dx', 'xShape');
  expectDisjoint(dy, grad, 'dy', 'dx');
  nativeGlobalBackward(dy.data, grad.data, N, C, H, W);
  return grad;
}
