// Layer classes by className: how toConfig() JSON turns back into layers (fromConfig, loadModel,
// the training worker). Custom layers register themselves with registerLayer.
import type { Layer, LayerConfig } from './layer';
import { Conv2D } from './conv2d';
import { MaxPool2D } from './max-pool2d';
import { AvgPool2D } from './avg-pool2d';
import { GlobalAvgPool2D } from './global-avg-pool2d';
import { Dense } from './dense';
import { Flatten } from './flatten';
import { Dropout } from './dropout';
import { ReLU } from './relu';
import { Sigmoid } from './sigmoid';
import { Tanh } from './tanh';
import { Softmax } from './softmax';
import { Concat } from './concat';
import { BatchNorm2D } from './batch-norm2d';
import { Add } from './add';

export type LayerClass = { readonly className: string; new (config: never): Layer };

const registry = new Map<string, LayerClass>();

export function registerLayer(cls: LayerClass): void {
  if (typeof cls.className !== 'string' || !/^\w+$/.test(cls.className)) {
    throw new TypeError('registerLayer: the class needs a static className (letters, digits, _)');
  }
  registry.set(cls.className, cls);
}

for (const cls of [Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Dense, Flatten, Dropout, ReLU, Sigmoid, Tanh, Softmax, Concat, BatchNorm2D, Add]) {
  registerLayer(cls);
}

/** A new layer from {className, config} (as written by layer.toConfig()). */
export function layerFromConfig(spec: { className: string; config: LayerConfig }): Layer {
  if (spec === null || typeof spec !== 'object' || typeof spec.className !== 'string') {
    throw new TypeError(`a layer config must be {className, config}, got ${JSON.stringify(spec)?.slice(0, 200)}`);
  }
  const cls = registry.get(spec.className);
  if (!cls) throw new RangeError(`unknown layer class '${spec.className.slice(0, 100)}'; known: ${[...registry.keys()].join(', ')} (custom layers need registerLayer)`);
  const config = spec.config ?? {};
  if (typeof config !== 'object' || Array.isArray(config)) throw new TypeError(`${spec.className} config must be an object`);
  return new cls(config as never);
}
