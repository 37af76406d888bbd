// 2-D convolution (cross-correlation, as in PyTorch) over NCHW tensors with OIHW weights.
import { binding } from '../native';
import { Tensor, zeros, formatShape, type Shape } from '../tensor';
import { pair, samePads, expect4d, expectShape, expectDisjoint, expectPositiveSizes, outputSize, type Pair, type Pads } from './window';

export type { Pair } from './window';

/**
 * Explicit zeros per side (number or [height, width], same on both sides), or
 * - 'valid': no padding;
 * - 'same': TensorFlow's rule: output size ceil(input / stride), the total padding
 *   max((out - 1) stride + dilation (kernel - 1) + 1 - input, 0) split with the odd element at
 *   the bottom/right (so an even kernel pads asymmetrically). With stride 1 the output has the
 *   input's size, like PyTorch's 'same'.
 */
export type Padding = Pair | 'same' | 'valid';

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Padding;
  dilation?: Pair;
  groups?: number;
}

type NativeGeometry = [number, number, number, number, number, number, number, number, number, number, number,
  number, number, number, number, number];
type Forward = (x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array,
  ...g: NativeGeometry) => void;
type Backward = (x: Float32Array, w: Float32Array, dy: Float32Array, dx: Float32Array | null, dw: Float32Array,
  db: Float32Array | null, ...g: NativeGeometry) => void;
const nativeForward = binding<Forward>('conv2dForward');
const nativeBackward = binding<Backward>('conv2dBackward');

interface Geometry {
  outShape: [number, number, number, number];
  native: NativeGeometry;
}

function geometry(xShape: Shape, wShape: Shape, opts: Conv2dOptions): Geometry {
  if (xShape.length !== 4) throw new RangeError(`x must be 4-D [N, C, H, W], got shape ${formatShape(xShape)}`);
  if (wShape.length !== 4) {
    throw new RangeError(`w must be 4-D [O, C/groups, KH, KW], got shape ${formatShape(wShape)}`);
  }
  expectPositiveSizes(xShape, 'x');
  expectPositiveSizes(wShape, 'w');
  const [N, C, H, W] = xShape;
  const [O, Cg, KH, KW] = wShape;
  const [sh, sw] = pair(opts.stride ?? 1, 'stride', 1);
  const [dh, dw] = pair(opts.dilation ?? 1, 'dilation', 1);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`groups must be a positive integer, got ${groups}`);
  if (C % groups !== 0 || O % groups !== 0) {
    throw new RangeError(`groups = ${groups} must divide the input channels of x ${formatShape(xShape)} `
      + `and the output channels of w ${formatShape(wShape)}`);
  }
  if (Cg !== C / groups) {
    throw new RangeError(`w ${formatShape(wShape)} must have C/groups = ${C / groups} input channels `
      + `for x ${formatShape(xShape)} with groups = ${groups}`);
  }
  const padding = opts.padding ?? 0;
  let pads: Pads;
  if (padding === 'same') pads = [...samePads(H, KH, sh, dh), ...samePads(W, KW, sw, dw)];
  else if (padding === 'valid') pads = [0, 0, 0, 0];
  else {
    const [ph, pw] = pair(padding, 'padding', 0);
    pads = [ph, ph, pw, pw];
  }
  const OH = outputSize(H, KH, sh, pads[0], pads[1], dh);
  const OW = outputSize(W, KW, sw, pads[2], pads[3], dw);
  if (OH < 1 || OW < 1) {
    throw new RangeError(`the kernel of w ${formatShape(wShape)} (dilation [${dh}, ${dw}]) is larger than `
      + `x ${formatShape(xShape)} padded by [${pads.join(', ')}] (top, bottom, left, right)`);
  }
  return { outShape: [N, O, OH, OW], native: [N, C, H, W, O, KH, KW, sh, sw, ...pads, dh, dw, groups] };
}

/** Shape [N, O, OH, OW] of conv2d(x, w) for these options; throws on shapes that do not fit. */
export function conv2dOutputShape(xShape: Shape, wShape: Shape, opts: Conv2dOptions = {}): number[] {
  return [...geometry(xShape, wShape, opts).outShape];
}

/**
 * y[n, o] = b[o] + Σ_k w[o, k] ⋆ x[n, g·C/groups + k] (cross-correlation), x [N, C, H, W],
 * w [O, C/groups, KH, KW], b [O] or null. Writes into `out` when given.
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, opts: Conv2dOptions & { out?: Tensor } = {}): Tensor {
  expect4d(x, 'x');
  expect4d(w, 'w');
  const g = geometry(x.shape, w.shape, opts);
  if (b !== null) expectShape(b, [g.outShape[1]], 'b', () => `the output channels of w ${formatShape(w.shape)}`);
  const y = opts.out ?? zeros(g.outShape);
  expectShape(y, g.outShape, 'out', () => `conv2d of x ${formatShape(x.shape)} and w ${formatShape(w.shape)}`);
  expectDisjoint(x, y, 'x', 'out');
  nativeForward(x.data, w.data, b ? b.data : null, y.data, ...g.native);
  return y;
}

export interface Conv2dBackwardOptions extends Conv2dOptions {
  /** Overwritten with dL/dx. */
  dx?: Tensor;
  /** dL/dw is ADDED to it (a Parameter's grad accumulates); default a new zero tensor. */
  dw?: Tensor;
  /** dL/db is ADDED to it; default a new zero tensor; null skips it (a convolution without bias). */
  db?: Tensor | null;
  /** false skips the input gradient (a network's first layer); dx is then null. */
  needDx?: boolean;
}

export interface Conv2dGradients {
  dx: Tensor | null;
  dw: Tensor;
  db: Tensor | null;
}

/** Gradients of L given dy = dL/dy for y = conv2d(x, w, b, opts): dx overwritten, dw and db accumulated. */
export function conv2dBackward(x: Tensor, w: Tensor, dy: Tensor, opts: Conv2dBackwardOptions = {}): Conv2dGradients {
  expect4d(x, 'x');
  expect4d(w, 'w');
  const g = geometry(x.shape, w.shape, opts);
  expectShape(dy, g.outShape, 'dy', () => `the output of conv2d of x ${formatShape(x.shape)} and w ${formatShape(w.shape)}`);
  const needDx = opts.needDx ?? true;
  const dx = needDx ? opts.dx ?? zeros(x.shape) : null;
  const dw = opts.dw ?? zeros(w.shape);
  const db = opts.db === undefined ? zeros([g.outShape[1]]) : opts.db;
  if (dx) expectShape(dx, x.shape, 'dx', 'the shape of x');
  expectShape(dw, w.shape, 'dw', 'the shape of w');
  if (db) expectShape(db, [g.outShape[1]], 'db', () => `the output channels of w ${formatShape(w.shape)}`);
  if (dx) {
    for (const [t, name] of [[x, 'x'], [w, 'w'], [dy, 'dy'], [dw, 'dw'], [db, 'db']] as const) {
      if (t) expectDisjoint(dx, t, 'dx', name);
    }
  }
  nativeBackward(x.data, w.data, dy.data, dx ? dx.data : null, dw.data, db ? db.data : null, ...g.native);
  return { dx, dw, db };
}
