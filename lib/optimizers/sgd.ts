// Stochastic gradient descent, with optional momentum and Nesterov momentum (the course's
// formulas, learning rate inside the velocity).
import type { Kind } from './native';
import { checkUnit, Optimizer, type GroupOptions, type KernelHyper, type OptimizerOptions, type Params } from './optimizer';

export interface SGDOptions extends GroupOptions {
  /** γ in [0, 1); 0 is plain SGD. */
  momentum: number;
  /** Nesterov's look-ahead momentum (needs momentum > 0). */
  nesterov: boolean;
}

/**
 * Plain:    θ ← θ − α g
 * Momentum: v ← γ v + α g;  θ ← θ − v
 * Nesterov: v ← γ v + α ∇C(θ − γ v);  θ ← θ − v, computed in the re-parameterised form that
 *           stores the look-ahead point φ = θ − γ v and needs only ∇C(φ):
 *           v ← γ v + α g;  φ ← φ − (γ v + α g).
 * g is the gradient plus the parameter's penalty gradient and `weightDecay`·θ.
 *
 * Differs from PyTorch: PyTorch keeps v ← μ v + g and steps θ ← θ − lr v (learning rate outside
 * the buffer). Both give the same iterates while lr is constant; after an lr change, here only
 * new gradients feel the new rate, in PyTorch the whole velocity does. No `dampening`.
 * Defaults as PyTorch: lr 1e-3, momentum 0, nesterov false, weightDecay 0.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> & OptimizerOptions = {}) {
    super(params, { lr: 1e-3, momentum: 0, nesterov: false, weightDecay: 0 }, options);
  }

  protected kind(group: SGDOptions): Kind {
    if (group.momentum === 0) return 'sgd';
    return group.nesterov ? 'nesterov' : 'momentum';
  }

  protected override validate(group: SGDOptions): void {
    super.validate(group);
    checkUnit(this.name, 'momentum', group.momentum);
    if (group.nesterov && group.momentum === 0) {
      throw new RangeError(`${this.name}: Nesterov momentum needs momentum > 0`);
    }
  }

  protected kernelHyper(group: SGDOptions): KernelHyper {
    return { lr: group.lr, gamma: group.momentum };
  }
}

/** SGD with momentum (default γ = 0.9): v ← γ v + α g; θ ← θ − v. */
export class Momentum extends SGD {
  constructor(params: Params<SGDOptions>, options: Partial<Omit<SGDOptions, 'nesterov'>> & OptimizerOptions = {}) {
    super(params, { momentum: 0.9, ...options, nesterov: false });
  }
}

/** SGD with Nesterov momentum (default γ = 0.9); see SGD for the re-parameterised form. */
export class Nesterov extends SGD {
  constructor(params: Params<SGDOptions>, options: Partial<Omit<SGDOptions, 'nesterov'>> & OptimizerOptions = {}) {
    super(params, { momentum: 0.9, ...options, nesterov: true });
  }
}
