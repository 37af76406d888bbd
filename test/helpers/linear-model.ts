// A softmax-regression model, a plain SGD optimizer (with momentum, so it has state) and a
// softmax cross-entropy loss, in plain TypeScript, registered for training workers (pass this
// file as fit's workerSetup). They test the training machinery apart from the layer library,
// and the path by which custom models reach a worker.
import { Tensor, Parameter, zeros } from '../../lib';
import { registerLoss, registerModelFactory, registerOptimizer, type Loss, type Optimizer, type TrainableModel } from '../../lib/training';
import type { Targets } from '../../lib/training/data';

export interface LinearConfig {
  kind: 'test-linear';
  inputs: number;
  outputs: number;
}

export class LinearModel implements TrainableModel {
  readonly w: Parameter;
  readonly b: Parameter;
  private x: Tensor | null = null;

  constructor(readonly inputs: number, readonly outputs: number, seed = 1) {
    let s = seed >>> 0;
    const random = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) - 0.5;
    this.w = new Parameter(new Tensor(Float32Array.from({ length: outputs * inputs }, () => random() * 0.1), [outputs, inputs]), 'w');
    this.b = new Parameter(zeros([outputs]), 'b');
  }

  static fromConfig(c: LinearConfig): LinearModel {
    return new LinearModel(c.inputs, c.outputs);
  }

  forward(x: Tensor): Tensor {
    const N = x.shape[0], D = this.inputs, K = this.outputs;
    this.x = x;
    const y = zeros([N, K]);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) {
      let s = this.b.value.data[k];
      for (let d = 0; d < D; d++) s += x.data[n * D + d] * this.w.value.data[k * D + d];
      y.data[n * K + k] = s;
    }
    return y;
  }

  backward(dy: Tensor): void {
    const x = this.x!, N = x.shape[0], D = this.inputs, K = this.outputs;
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) {
      const g = dy.data[n * K + k];
      this.b.grad.data[k] += g;
      for (let d = 0; d < D; d++) this.w.grad.data[k * D + d] += g * x.data[n * D + d];
    }
  }

  parameters(): Parameter[] {
    return [this.w, this.b];
  }

  getWeights(): Tensor[] {
    return [this.w.value, this.b.value];
  }

  setWeights(weights: Tensor[]): void {
    this.w.value.data.set(weights[0].data);
    this.b.value.data.set(weights[1].data);
  }

  toConfig(): LinearConfig {
    return { kind: 'test-linear', inputs: this.inputs, outputs: this.outputs };
  }
}

/** SGD with momentum: v = m v + g + l2 2w + l1 sign(w); w -= lr v. */
export class MomentumSGD implements Optimizer {
  readonly name = 'testMomentumSgd';
  private velocity: Float32Array[];

  constructor(private readonly params: Parameter[], public lr = 0.1, private readonly momentum = 0.9) {
    this.velocity = params.map((p) => new Float32Array(p.size));
  }

  getConfig() {
    return { lr: this.lr, momentum: this.momentum };
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  step(): void {
    this.params.forEach((p, i) => {
      const v = this.velocity[i], w = p.value.data, g = p.grad.data;
      const { l1 = 0, l2 = 0 } = p.penalty ?? {};
      for (let j = 0; j < w.length; j++) {
        v[j] = this.momentum * v[j] + g[j] + 2 * l2 * w[j] + l1 * Math.sign(w[j]);
        w[j] -= this.lr * v[j];
      }
    });
  }

  stateDict(): unknown {
    return { velocity: this.velocity.map((v) => v.slice()) };
  }

  loadStateDict(state: unknown): void {
    (state as { velocity: Float32Array[] }).velocity.forEach((v, i) => this.velocity[i].set(v));
  }
}

function labelOf(y: Targets, n: number, K: number): number {
  if (y instanceof Int32Array) return y[n];
  let best = 0;
  for (let k = 1; k < K; k++) if (y.data[n * K + k] > y.data[n * K + best]) best = k;
  return best;
}

/** Mean softmax cross-entropy of logits against labels, in float64. */
export const softmaxCrossEntropy: Loss = {
  name: 'testSoftmaxCrossEntropy',
  compute(logits: Tensor, y: Targets) {
    const [N, K] = logits.shape;
    const grad = zeros([N, K]);
    let loss = 0;
    for (let n = 0; n < N; n++) {
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, logits.data[n * K + k]);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(logits.data[n * K + k] - max);
      const label = labelOf(y, n, K);
      loss += Math.log(sum) + max - logits.data[n * K + label];
      for (let k = 0; k < K; k++) grad.data[n * K + k] = (Math.exp(logits.data[n * K + k] - max) / sum - (k === label ? 1 : 0)) / N;
    }
    return { loss: loss / N, grad };
  },
};

registerModelFactory((c) => ((c as LinearConfig)?.kind === 'test-linear' ? LinearModel.fromConfig(c as LinearConfig) : undefined));
registerOptimizer('testMomentumSgd', (config, params) => new MomentumSGD(params as Parameter[], config.lr as number, config.momentum as number));
registerLoss('testSoftmaxCrossEntropy', () => softmaxCrossEntropy);

export const setupModule = __filename;

/** Gaussian blobs: class k centered at a point on a circle, in D dimensions. */
export function blobs(n: number, classes: number, D: number, seed: number): { x: Tensor; y: Int32Array } {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const x = zeros([n, D]), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % classes;
    y[i] = k;
    for (let d = 0; d < D; d++) {
      const center = d < 2 ? 2 * (d === 0 ? Math.cos((2 * Math.PI * k) / classes) : Math.sin((2 * Math.PI * k) / classes)) : 0;
      x.data[i * D + d] = center + 0.5 * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    }
  }
  return { x, y };
}
