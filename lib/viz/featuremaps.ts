// The activations of one image through every layer of a sequential model, for featureMapGrid.
import { Tensor, formatShape } from '../tensor';
import type { Model } from '../model';
import type { FeatureMaps } from './grid';

/** Per-sample shape [C, H, W] for a per-sample shape of rank 1 to 3. */
function asMaps(shape: readonly number[]): [number, number, number] {
  if (shape.length === 3) return [shape[0], shape[1], shape[2]];
  if (shape.length === 1) return [shape[0], 1, 1];
  if (shape.length === 2) return [1, shape[0], shape[1]];
  throw new RangeError(`cannot show activations of shape ${formatShape(shape)} as feature maps`);
}

/**
 * Runs x [1, ...inputShape] through the layers one at a time (inference mode) and returns the
 * input and each layer's output, named by the layers; `skip` drops layers such as flatten.
 */
export function layerActivations(model: Model, x: Tensor, skip: (name: string, className: string) => boolean = (_, c) => c === 'Flatten' || c === 'Dropout'): FeatureMaps[] {
  if (x.shape[0] !== 1) throw new RangeError(`layerActivations: x must hold one image [1, ...], got ${formatShape(x.shape)}`);
  const config = model.toConfig();
  config.layers.forEach((l, i) => {
    const previous = i === 0 ? config.input.name : (config.layers[i - 1].config.name as string);
    if (l.inbound.length !== 1 || l.inbound[0] !== previous) {
      throw new RangeError(`layerActivations: model '${model.name}' is not a simple chain of layers (layer ${i} reads ${l.inbound.join(', ')})`);
    }
  });
  const maps: FeatureMaps[] = [{ name: 'input', shape: asMaps(x.shape.slice(1)), data: x.data.slice() }];
  let t = x;
  for (const layer of model.layers) {
    t = layer.forward([t], { training: false });
    if (!skip(layer.name, layer.className)) maps.push({ name: layer.name, shape: asMaps(t.shape.slice(1)), data: t.data.slice() });
  }
  return maps;
}
