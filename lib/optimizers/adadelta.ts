// AdaDelta: steps scaled by the ratio of running RMS of past steps and of gradients.
import type { Kind } from './native';
import { checkNonNegative, checkUnit, Optimizer, type GroupOptions, type KernelHyper, type OptimizerOptions, type Params } from './optimizer';

export interface AdadeltaOptions extends GroupOptions {
  /** Decay γ of both running averages. */
  rho: number;
  eps: number;
}

/**
 * E_g ← γ E_g + (1 − γ) g²;  Δ ← −(√(E_Δ + ε) / √(E_g + ε)) g;  E_Δ ← γ E_Δ + (1 − γ) Δ²;
 * θ ← θ + lr Δ.
 * The learning rate multiplies the applied step only (E_Δ accumulates the unscaled Δ), as in
 * PyTorch; with the default lr = 1 this is the course's rule exactly.
 * Defaults as PyTorch: lr 1, rho 0.9, eps 1e-6, weightDecay 0.
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: Params<AdadeltaOptions>, options: Partial<AdadeltaOptions> & OptimizerOptions = {}) {
    super(params, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 }, options);
  }

  protected kind(): Kind {
    return 'adadelta';
  }

  protected override validate(group: AdadeltaOptions): void {
    super.validate(group);
    checkUnit(this.name, 'rho', group.rho);
    checkNonNegative(this.name, 'eps', group.eps);
  }

  protected kernelHyper(group: AdadeltaOptions): KernelHyper {
    return { lr: group.lr, gamma: group.rho, eps: group.eps };
  }
}
