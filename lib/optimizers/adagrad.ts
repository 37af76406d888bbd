// AdaGrad: per-coordinate rates from the sum of past squared gradients.
import type { Kind } from './native';
import { checkNonNegative, Optimizer, type GroupOptions, type KernelHyper, type OptimizerOptions, type Params } from './optimizer';

export interface AdagradOptions extends GroupOptions {
  eps: number;
  /** PyTorch's lr_decay: the t-th step uses lr / (1 + (t − 1) lrDecay). */
  lrDecay: number;
  /** Starting value of G. */
  initialAccumulatorValue: number;
}

/**
 * G ← G + g²;  θ ← θ − α g / √(G + ε)
 * ε is inside the root (the course's form); PyTorch and Keras use g / (√G + ε).
 * Defaults as PyTorch: lr 0.01, eps 1e-10, lrDecay 0, initialAccumulatorValue 0, weightDecay 0.
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, options: Partial<AdagradOptions> & OptimizerOptions = {}) {
    super(params, { lr: 0.01, eps: 1e-10, lrDecay: 0, initialAccumulatorValue: 0, weightDecay: 0 }, options);
  }

  protected kind(): Kind {
    return 'adagrad';
  }

  protected override validate(group: AdagradOptions): void {
    super.validate(group);
    checkNonNegative(this.name, 'eps', group.eps);
    checkNonNegative(this.name, 'lrDecay', group.lrDecay);
    checkNonNegative(this.name, 'initialAccumulatorValue', group.initialAccumulatorValue);
  }

  protected kernelHyper(group: AdagradOptions, step: number): KernelHyper {
    return { lr: group.lr / (1 + (step - 1) * group.lrDecay), eps: group.eps };
  }

  protected override initState(group: AdagradOptions, buffers: Float32Array[]): void {
    buffers[0].fill(group.initialAccumulatorValue);
  }
}
