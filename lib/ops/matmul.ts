// Matrix products on 2-D tensors: matmul, and the dense layer's forward and backward (PyTorch
// Linear layout: weight [out, in]). All run on the native sgemm. Outputs (out, dx, dw) must
// not share memory with the inputs.
import { Tensor, formatShape, sameShape, zeros } from '../tensor';
import { binding } from '../native';

type Sgemm = (ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array,
  B: Float32Array, beta: number, C: Float32Array) => void;
const sgemm = binding<Sgemm>('sgemm');

function expect2d(fn: string, name: string, t: Tensor): readonly [number, number] {
  if (!(t instanceof Tensor)) throw new TypeError(`${fn}: ${name} must be a Tensor`);
  if (t.rank !== 2) throw new RangeError(`${fn}: ${name} must be 2-D, got shape ${formatShape(t.shape)}`);
  return [t.shape[0], t.shape[1]];
}

/** `out` if given (checked to be `shape`), else a new zero tensor. */
function output(fn: string, name: string, out: Tensor | undefined, shape: readonly number[], from: string): Tensor {
  if (out === undefined) return zeros(shape);
  if (!(out instanceof Tensor)) throw new TypeError(`${fn}: ${name} must be a Tensor`);
  if (!sameShape(out.shape, shape)) {
    const expected = formatShape(shape);
    throw new RangeError(`${fn}: ${name} has shape ${formatShape(out.shape)}, expected ${expected} (${from})`);
  }
  return out;
}

/** C = alpha * op(A) * op(B) + beta * C for row-major data; empty dimensions allowed. */
function gemm(ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array,
  B: Float32Array, beta: number, C: Float32Array): void {
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (beta === 0) C.fill(0);
    else for (let i = 0; i < C.length; i++) C[i] *= beta;
    return;
  }
  sgemm(ta, tb, M, N, K, alpha, A, B, beta, C);
}

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  alpha?: number; // default 1
  beta?: number; // default 0: out's previous contents are ignored (even NaN)
  out?: Tensor; // [M, N], written in place
}

/** C = alpha op(A) op(B) + beta C, op(X) = X or Xᵀ: a [M, K] (or [K, M]), b [K, N] (or [N, K]) -> [M, N]. */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const { transposeA = false, transposeB = false, alpha = 1, beta = 0 } = opts;
  const [a0, a1] = expect2d('matmul', 'a', a);
  const [b0, b1] = expect2d('matmul', 'b', b);
  const [M, K] = transposeA ? [a1, a0] : [a0, a1];
  const [Kb, N] = transposeB ? [b1, b0] : [b0, b1];
  if (K !== Kb) {
    const op = (name: string, t: Tensor, tr: boolean) =>
      `${name}${tr ? 'ᵀ' : ''} ${formatShape(tr ? [t.shape[1], t.shape[0]] : t.shape)}`;
    throw new RangeError(`matmul: inner dimensions differ: ${op('a', a, transposeA)} times ${op('b', b, transposeB)}`);
  }
  const out = output('matmul', 'out', opts.out, [M, N], `a ${formatShape(a.shape)}, b ${formatShape(b.shape)}`);
  gemm(transposeA, transposeB, M, N, K, alpha, a.data, b.data, beta, out.data);
  return out;
}

/** Checks x [N, in], w [out, in], the bias (or its gradient) [out] | null; returns [N, in, out]. */
function linearShapes(fn: string, x: Tensor, w: Tensor, b: Tensor | null | undefined, bName = 'b'):
  [number, number, number] {
  const [N, inFeatures] = expect2d(fn, 'x', x);
  const [outFeatures, wIn] = expect2d(fn, 'w', w);
  if (wIn !== inFeatures) {
    throw new RangeError(
      `${fn}: w ${formatShape(w.shape)} must be [out, in] with in = ${inFeatures} of x ${formatShape(x.shape)}`);
  }
  if (b != null) {
    if (!(b instanceof Tensor)) throw new TypeError(`${fn}: ${bName} must be a Tensor or null`);
    if (b.rank !== 1 || b.shape[0] !== outFeatures) {
      throw new RangeError(
        `${fn}: ${bName} has shape ${formatShape(b.shape)}, expected [${outFeatures}] (w ${formatShape(w.shape)})`);
    }
  }
  return [N, inFeatures, outFeatures];
}

/** y = x wᵀ + b: x [N, in], w [out, in], b [out] or null -> y [N, out] (written to `out` if given). */
export function linear(x: Tensor, w: Tensor, b: Tensor | null, out?: Tensor): Tensor {
  const [N, inFeatures, outFeatures] = linearShapes('linear', x, w, b);
  const y = output('linear', 'out', out, [N, outFeatures], `x ${formatShape(x.shape)}, w ${formatShape(w.shape)}`);
  if (b) for (let n = 0; n < N; n++) y.data.set(b.data, n * outFeatures);
  gemm(false, true, N, outFeatures, inFeatures, 1, x.data, w.data, b ? 1 : 0, y.data);
  return y;
}

export interface LinearGrads {
  dw: Tensor; // [out, in], accumulated into (+=)
  db?: Tensor | null; // [out], accumulated into (+=); omit or null for a layer without bias
  dx?: Tensor; // [N, in], overwritten; allocated when omitted
  needDx?: boolean; // false skips dx (a first layer); default true
}

/**
 * Gradients of y = x wᵀ + b given dy = dL/dy [N, out]: dx = dy w (overwrites dx), dw += dyᵀ x,
 * db += Σ_n dy[n, :]. The parameter gradients ACCUMULATE, as Parameter.grad expects (the
 * optimizer's zeroGrad clears them). Returns the three (dx null when needDx is false).
 */
export function linearBackward(x: Tensor, w: Tensor, dy: Tensor, grads: LinearGrads):
  { dx: Tensor | null; dw: Tensor; db: Tensor | null } {
  const [N, inFeatures, outFeatures] = linearShapes('linearBackward', x, w, grads.db, 'db');
  const [dyN, dyOut] = expect2d('linearBackward', 'dy', dy);
  if (dyN !== N || dyOut !== outFeatures) {
    const inputs = `x ${formatShape(x.shape)}, w ${formatShape(w.shape)}`;
    throw new RangeError(`linearBackward: dy has shape ${formatShape(dy.shape)}, expected [${N}, ${outFeatures}] (${inputs})`);
  }
  const dw = output('linearBackward', 'dw', grads.dw, w.shape, `w ${formatShape(w.shape)}`);
  gemm(true, false, outFeatures, inFeatures, N, 1, dy.data, x.data, 1, dw.data);
  const db = grads.db ?? null;
  if (db) {
    for (let j = 0; j < outFeatures; j++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += dy.data[n * outFeatures + j];
      db.data[j] += s;
    }
  }
  if (grads.needDx === false) return { dx: null, dw, db };
  const dx = output('linearBackward', 'dx', grads.dx, x.shape, `x ${formatShape(x.shape)}`);
  gemm(false, false, N, inFeatures, outFeatures, 1, dy.data, w.data, 0, dx.data);
  return { dx, dw, db };
}
