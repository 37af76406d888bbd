// Weight penalties as terms of the loss. A regularizer sets `param.penalty`; the optimizer fuses
// the penalty's gradient into its step and regularizationLoss() reports the term's value.
//
// The course writes the penalty per example, with the training-set size n:
//   C = C0 + (λ/n) Σ|w|  (L1)      C = C0 + (λ/2n) Σ w²  (L2)
// which is regularizers.l1(λ / n) and regularizers.l2(λ / (2 * n)) here.
import type { Parameter, Penalty } from './parameter';
import type { Tensor } from './tensor';
import { sumAbsSq } from './optimizers/native';

/** loss(w) = l1 Σ|w| + l2 Σ w²; gradient l1 sign(w) + 2 l2 w (sign(0) = 0). */
export class Regularizer {
  readonly penalty: Readonly<Penalty>;

  constructor(l1: number, l2: number) {
    for (const [name, v] of [['l1', l1], ['l2', l2]] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new RangeError(`${this.constructor.name}: ${name} must be a finite number >= 0, got ${String(v)}`);
      }
    }
    this.penalty = Object.freeze({ l1, l2 });
  }

  /** The term's value for weights w. */
  loss(w: Tensor): number {
    return penaltyLoss(this.penalty, w.data);
  }

  /** Sets the penalty on one parameter (what a layer's kernelRegularizer does). */
  applyTo(param: Parameter): void {
    param.penalty = { ...this.penalty };
  }
}

/** λ Σ|w| (Keras' L1, default λ = 0.01). */
export class L1 extends Regularizer {
  constructor(l1 = 0.01) {
    super(l1, 0);
  }
}

/** λ Σ w² (Keras' L2, default λ = 0.01; no ½: the gradient is 2 λ w). */
export class L2 extends Regularizer {
  constructor(l2 = 0.01) {
    super(0, l2);
  }
}

/** λ1 Σ|w| + λ2 Σ w² (Keras' L1L2 with l1_l2's defaults 0.01, 0.01). */
export class ElasticNet extends Regularizer {
  constructor(l1 = 0.01, l2 = 0.01) {
    super(l1, l2);
  }
}

export const l1 = (lambda?: number) => new L1(lambda);
export const l2 = (lambda?: number) => new L2(lambda);
export const elasticNet = (lambda1?: number, lambda2?: number) => new ElasticNet(lambda1, lambda2);
/** Keras' name for elasticNet. */
export const l1l2 = elasticNet;

/** A bias: not regularised by default. Biases (and normalisation scales) are the 1-D parameters. */
export function isBias(param: Parameter): boolean {
  return param.value.rank <= 1;
}

/** Each parameter's penalty before any model-wide regularizer: its layer's own (kernelRegularizer). */
const ownPenalty = new WeakMap<Parameter, Penalty | null>();

/**
 * A model-wide regularizer: every parameter `include` accepts (default: all but biases, isBias)
 * gets its own penalty (a layer's kernelRegularizer) plus `reg`'s; the others keep their own.
 * Applying again replaces the model-wide part instead of adding to it; null removes it.
 */
export function applyRegularizer(params: Parameter[], reg: Regularizer | Penalty | null,
  include: (p: Parameter) => boolean = (p) => !isBias(p)): void {
  const extra = reg instanceof Regularizer ? reg.penalty : reg;
  for (const p of params) {
    if (!ownPenalty.has(p)) ownPenalty.set(p, p.penalty);
    const own = ownPenalty.get(p) ?? null;
    p.penalty = extra && include(p) ? { l1: (own?.l1 ?? 0) + extra.l1, l2: (own?.l2 ?? 0) + extra.l2 } : own;
  }
}

/** Σ over parameters of their penalty terms l1 Σ|w| + l2 Σ w², to add to the reported loss. */
export function regularizationLoss(params: Parameter[]): number {
  let total = 0;
  for (const p of params) if (p.penalty) total += penaltyLoss(p.penalty, p.value.data);
  return total;
}

function penaltyLoss(penalty: Penalty, w: Float32Array): number {
  if (penalty.l1 === 0 && penalty.l2 === 0) return 0;
  const [abs, sq] = sumAbsSq(w);
  return penalty.l1 * abs + penalty.l2 * sq;
}
