// sequential([...layers], {inputShape}): a model that chains its layers, each reading the last.
import type { Shape } from './tensor';
import { input } from './symbolic-tensor';
import type { Layer } from './layers/layer';
import { Model } from './model';

export interface SequentialArgs {
  /** Shape of one sample, e.g. [C, H, W]. */
  inputShape: Shape;
  name?: string;
  /** Seed of the weight initialization (and dropout seeds); default: the global generator. */
  seed?: number;
}

export function sequential(layers: readonly Layer[], { inputShape, name = 'sequential', seed }: SequentialArgs): Model {
  if (!Array.isArray(layers) || layers.length === 0) throw new TypeError('sequential() needs a non-empty array of layers');
  const x = input(inputShape);
  const y = layers.reduce((t, layer, i) => {
    if (!layer || typeof layer.apply !== 'function') throw new TypeError(`sequential(): element ${i} is not a layer`);
    return layer.apply(t);
  }, x);
  return new Model({ inputs: x, outputs: y, name, seed });
}
