// What the training loop needs from a model, an optimizer, a loss and a metric. The graph and
// optim modules provide the real ones; anything with these members trains.
import type { LossResult, Targets } from '../losses';
import type { Parameter } from '../parameter';
import type { Tensor } from '../tensor';

export type { LossResult };
export type { Metric } from '../metrics';

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

/** Any object with a name and compute() is a loss (the losses module's classes are). */
export interface Loss {
  readonly name: string;
  /** Mean loss over the batch, and dLoss/dPrediction. */
  compute(prediction: Tensor, target: Targets): LossResult;
}

/** Values reported to callbacks: loss, metrics, `val_` variants, `lr`. */
export type Logs = Record<string, number>;
