// Adam and AdamW: bias-corrected running averages of the gradient and its square.
import type { Kind } from './native';
import { checkNonNegative, checkUnit, Optimizer, type GroupOptions, type KernelHyper, type OptimizerOptions, type Params } from './optimizer';

export interface AdamOptions extends GroupOptions {
  /** [β1, β2], each in [0, 1). */
  betas: [number, number];
  eps: number;
}

/**
 * m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  m̂ = m / (1 − β1ᵗ);  v̂ = v / (1 − β2ᵗ);
 * θ ← θ − η m̂ / (√v̂ + ε)   (ε outside the root, as PyTorch; t counts each parameter's steps).
 * `weightDecay` is coupled (added to g), as PyTorch's Adam. Keras' Adam puts ε against √v
 * before bias correction, a slightly different ε.
 * Defaults as PyTorch: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> & OptimizerOptions = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }, options);
  }

  protected kind(): Kind {
    return 'adam';
  }

  protected override validate(group: AdamOptions): void {
    super.validate(group);
    if (!Array.isArray(group.betas) || group.betas.length !== 2) {
      throw new RangeError(`${this.name}: betas must be [beta1, beta2], got ${String(group.betas)}`);
    }
    checkUnit(this.name, 'betas[0]', group.betas[0]);
    checkUnit(this.name, 'betas[1]', group.betas[1]);
    checkNonNegative(this.name, 'eps', group.eps);
  }

  protected kernelHyper(group: AdamOptions, step: number): KernelHyper {
    const [beta1, beta2] = group.betas;
    return {
      lr: group.lr, gamma: beta1, beta2, eps: group.eps,
      step1: group.lr / (1 - beta1 ** step),
      rsqrt2: 1 / Math.sqrt(1 - beta2 ** step),
    };
  }
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter): θ ← (1 − η λ) θ before the Adam
 * update, λ = `weightDecay`, applied to every parameter of the group. Not in the course.
 * Defaults as PyTorch: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.01.
 */
export class AdamW extends Adam {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> & OptimizerOptions = {}) {
    super(params, { weightDecay: 0.01, ...options });
  }

  protected override kernelHyper(group: AdamOptions, step: number): KernelHyper {
    return { ...super.kernelHyper(group, step), keep: 1 - group.lr * group.weightDecay, coupledDecay: 0 };
  }
}
