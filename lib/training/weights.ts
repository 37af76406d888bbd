// Copies of a model's weights as plain arrays: what crosses threads and goes into checkpoints.
import { Tensor } from '../tensor';
import type { TrainableModel } from './types';

/** A copy of every weight of the model (getWeights() order). */
export function copyWeights(model: TrainableModel): Float32Array[] {
  return model.getWeights().map((w) => w.data.slice());
}

/** Sets the model's weights from arrays in getWeights() order; the arrays are copied. */
export function loadWeights(model: TrainableModel, arrays: Float32Array[]): void {
  const weights = model.getWeights();
  if (arrays.length !== weights.length) {
    throw new RangeError(`model has ${weights.length} weight tensors, got ${arrays.length}`);
  }
  model.setWeights(weights.map((w, i) => new Tensor(arrays[i].slice(), w.shape)));
}
