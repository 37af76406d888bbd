// A trainable tensor: its value, the gradient the backward pass accumulates into, and the
// regularization the optimizer fuses into its step.
import { Tensor, zeros, type Shape } from './tensor';

/** Penalty coefficients: loss += l1 Σ|w| + l2 Σ w²; L1, L2 and ElasticNet all reduce to this. */
export interface Penalty {
  l1: number;
  l2: number;
}

export class Parameter {
  readonly value: Tensor;
  readonly grad: Tensor;
  name: string;
  /** A frozen parameter keeps its value: optimizers skip it. */
  trainable = true;
  penalty: Penalty | null = null;

  constructor(value: Tensor, name = 'param') {
    this.value = value;
    this.grad = zeros(value.shape);
    this.name = name;
  }

  get shape(): Shape {
    return this.value.shape;
  }

  get size(): number {
    return this.value.size;
  }

  zeroGrad(): void {
    this.grad.data.fill(0);
  }
}

export function parameter(value: Tensor, name?: string): Parameter {
  return new Parameter(value, name);
}
