// Central finite differences for layers and models: L = Σ r ⊙ f(...) with fixed random r,
// accumulated in float64; the analytic gradient comes from backward(r).
import type { ExecutionContext } from 'ava';
import { Tensor, type Model } from '../../lib';
import { SoftmaxCrossEntropy } from '../../lib/losses';
import { maxRelError, randomArray, rng } from './random';

export interface Checked {
  name: string;
  /** Values to perturb in place. */
  values: Float32Array;
  /** The analytic gradient (read after backward). */
  grad: () => Float32Array;
}

export interface GradCheck {
  /** Runs the function, returning its output (may be a reused buffer). */
  forward: () => Tensor;
  /** Back-propagates dy, making the analytic gradients available (zero accumulators first). */
  backward: (dy: Tensor) => void;
  checked: Checked[];
  /** Scalar loss of the output; default Σ r ⊙ y with r random. Must match lossGrad. */
  loss?: (y: Tensor) => number;
  lossGrad?: (y: Tensor) => Tensor;
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Entries checked per tensor (random picks). */
  samples?: number;
  seed?: number;
}

export function gradCheck(t: ExecutionContext, c: GradCheck): void {
  const random = rng(c.seed ?? 7);
  const eps = c.eps ?? 1e-2;
  const y0 = c.forward();
  const r = randomArray(y0.size, random);
  const loss = c.loss ?? ((y: Tensor) => y.data.reduce((s, v, i) => s + v * r[i], 0));
  const lossGrad = c.lossGrad ?? ((y: Tensor) => new Tensor(r.slice(), y.shape));
  c.backward(lossGrad(y0));
  const analytic = c.checked.map((x) => x.grad().slice());
  c.checked.forEach((x, k) => {
    const n = x.values.length;
    const picks = n <= (c.samples ?? 30) ? [...Array(n).keys()] : Array.from({ length: c.samples ?? 30 }, () => Math.floor(random() * n));
    const numeric: number[] = [];
    const expected: number[] = [];
    for (const i of picks) {
      const v = x.values[i];
      x.values[i] = v + eps;
      const plus = loss(c.forward());
      x.values[i] = v - eps;
      const minus = loss(c.forward());
      x.values[i] = v;
      numeric.push((plus - minus) / (2 * eps));
      expected.push(analytic[k][i]);
    }
    const err = maxRelError(expected, numeric, c.atol ?? 2e-3, c.rtol ?? 2e-2);
    t.true(err <= 1, `${x.name}: analytic vs numeric gradient error ${err.toFixed(2)} (analytic ${expected.slice(0, 4).map((v) => v.toFixed(5))}, numeric ${numeric.slice(0, 4).map((v) => v.toFixed(5))})`);
  });
}

/**
 * A whole model's gradients (every parameter and the input) under softmax cross-entropy, by
 * central finite differences of the training-mode forward.
 */
export function checkModelGradients(t: ExecutionContext, m: Model, x: Tensor, labels: Int32Array,
  { eps = 1e-2, atol = eps / 20, rtol = 2e-2 }: { eps?: number; atol?: number; rtol?: number } = {}): void {
  const loss = new SoftmaxCrossEntropy();
  let dx: Tensor | undefined;
  gradCheck(t, {
    forward: () => m.forward(x, { training: true, seed: 1 }),
    backward: (dy) => {
      m.zeroGrad();
      dx = m.backward(dy, { inputGrad: true });
    },
    loss: (y) => loss.compute(y, labels).loss,
    lossGrad: (y) => loss.compute(y, labels).grad.clone(),
    checked: [
      { name: 'input', values: x.data, grad: () => dx!.data },
      ...m.parameters().map((p) => ({ name: p.name, values: p.value.data, grad: () => p.grad.data })),
    ],
    eps,
    atol,
    rtol,
  });
}
