// Losses as objects for the training loop: loss.compute(prediction, target) -> {loss, grad} with
// loss the mean over the batch and grad = dloss/dprediction (a buffer of the loss object, reused
// per shape; clone() it to keep it). Targets are Int32Array class labels or a Tensor [N, ...].
import { Tensor, formatShape } from './tensor';
import { softmaxCrossEntropy, binaryCrossEntropy, mse } from './ops/losses';

export type Targets = Tensor | Int32Array;

export interface LossResult {
  loss: number;
  grad: Tensor;
}

export abstract class Loss {
  abstract readonly name: string;
  private gradBuffer: Tensor | null = null;

  /** Mean loss over the batch and its gradient with respect to `prediction`. */
  abstract compute(prediction: Tensor, target: Targets): LossResult;

  /** The reused gradient buffer, shaped like `prediction`. */
  protected grad(prediction: Tensor): Tensor {
    const g = this.gradBuffer;
    if (g && g.size === prediction.size && g.rank === prediction.rank && g.shape.every((d, i) => d === prediction.shape[i])) return g;
    return (this.gradBuffer = new Tensor(new Float32Array(prediction.size), prediction.shape));
  }

  protected tensorTarget(target: Targets, prediction: Tensor): Tensor {
    if (!(target instanceof Tensor)) throw new TypeError(`${this.name}: the target must be a Tensor ${formatShape(prediction.shape)}, got labels`);
    return target;
  }
}

/**
 * Cross-entropy of softmax(logits) [N, K] against class labels (Int32Array [N]) or one-hot /
 * probability rows [N, K]; the model outputs logits (no Softmax layer).
 */
export class SoftmaxCrossEntropy extends Loss {
  readonly name = 'softmaxCrossEntropy';
  compute(logits: Tensor, target: Targets): LossResult {
    return softmaxCrossEntropy(logits, target, this.grad(logits));
  }
}

/** Binary cross-entropy from logits (sigmoid included, stable) against targets in [0, 1]. */
export class BinaryCrossEntropy extends Loss {
  readonly name = 'binaryCrossEntropy';
  compute(logits: Tensor, target: Targets): LossResult {
    return binaryCrossEntropy(logits, this.tensorTarget(target, logits), this.grad(logits));
  }
}

/** Mean squared error: mean over all elements of (prediction - target)². */
export class MeanSquaredError extends Loss {
  readonly name = 'mse';
  compute(prediction: Tensor, target: Targets): LossResult {
    return mse(prediction, this.tensorTarget(target, prediction), this.grad(prediction));
  }
}

const byName: Record<string, () => Loss> = {
  softmaxcrossentropy: () => new SoftmaxCrossEntropy(),
  crossentropy: () => new SoftmaxCrossEntropy(),
  categoricalcrossentropy: () => new SoftmaxCrossEntropy(),
  sparsecategoricalcrossentropy: () => new SoftmaxCrossEntropy(),
  binarycrossentropy: () => new BinaryCrossEntropy(),
  mse: () => new MeanSquaredError(),
  meansquarederror: () => new MeanSquaredError(),
};

/**
 * A loss from its name ('softmaxCrossEntropy' / 'crossEntropy' / Keras' 'categorical_crossentropy'
 * and 'sparse_categorical_crossentropy' (all from logits), 'binaryCrossEntropy', 'mse') or itself.
 */
export function getLoss(id: string | Loss): Loss {
  if (id instanceof Loss) return id;
  const key = typeof id === 'string' ? id.replace(/[_\s-]/g, '').toLowerCase() : '';
  const make = Object.hasOwn(byName, key) ? byName[key] : undefined;
  if (!make) throw new RangeError(`unknown loss ${JSON.stringify(id)}; known: softmaxCrossEntropy, binaryCrossEntropy, mse`);
  return make();
}
