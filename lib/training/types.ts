// What the training loop needs from a model, an optimizer, a loss and a metric. The graph and
// optim modules provide the real ones; anything with these members trains.
import type { Parameter } from '../parameter';
import type { Tensor } from '../tensor';
import type { Targets } from './data';

export interface ForwardOptions {
  training?: boolean;
  /** Seed of the random layers (dropout) for this call; derived from the fit seed. */
  seed?: number;
}

export interface TrainableModel {
  forward(x: Tensor, options?: ForwardOptions): Tensor;
  /** Backpropagates dL/dy, accumulating into each parameter's grad. */
  backward(dy: Tensor): unknown;
  parameters(): Parameter[];
  /** Every value the model's output depends on: parameters and buffers (running statistics). */
  getWeights(): Tensor[];
  setWeights(weights: Tensor[]): void;
  /** JSON that rebuilds the architecture (without weights) in another thread. */
  toConfig(): unknown;
}

export interface Optimizer {
  lr: number;
  step(params?: Parameter[]): void;
  zeroGrad(params?: Parameter[]): void;
  stateDict(): unknown;
  loadStateDict(state: unknown): void;
}

export interface LossResult {
  /** Mean over the batch. */
  loss: number;
  /** dLoss/dPrediction. */
  grad: Tensor;
}

export interface Loss {
  readonly name: string;
  compute(prediction: Tensor, target: Targets): LossResult;
}

export interface Metric {
  readonly name: string;
  /** Mean over the batch; epoch values are sample-weighted means of these. */
  compute(prediction: Tensor, target: Targets): number;
}

/** Values reported to callbacks: loss, metrics, `val_` variants, `lr`. */
export type Logs = Record<string, number>;
