// RMSprop: rates from a running average of squared gradients.
import type { Kind } from './native';
import { checkNonNegative, checkUnit, Optimizer, type GroupOptions, type KernelHyper, type OptimizerOptions, type Params } from './optimizer';

export interface RMSpropOptions extends GroupOptions {
  /** Decay γ of the running average (PyTorch's name; Keras calls it rho). */
  alpha: number;
  eps: number;
}

/**
 * E ← γ E + (1 − γ) g²;  θ ← θ − η g / √(E + ε)
 * ε is inside the root (the course's form); PyTorch and Keras use g / (√E + ε). No momentum or
 * centered variant. Defaults as PyTorch: lr 0.01, alpha 0.99, eps 1e-8, weightDecay 0.
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> & OptimizerOptions = {}) {
    super(params, { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0 }, options);
  }

  protected kind(): Kind {
    return 'rmsprop';
  }

  protected override validate(group: RMSpropOptions): void {
    super.validate(group);
    checkUnit(this.name, 'alpha', group.alpha);
    checkNonNegative(this.name, 'eps', group.eps);
  }

  protected kernelHyper(group: RMSpropOptions): KernelHyper {
    return { lr: group.lr, gamma: group.alpha, eps: group.eps };
  }
}
