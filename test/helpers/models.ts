// Models for the import/export tests.
import {
  Add, AvgPool2D, BatchNorm2D, Conv2D, Dense, Dropout, Flatten, GlobalAvgPool2D, MaxPool2D, ReLU, Sigmoid, Softmax, Tanh, Tensor, concat, input, model,
  type Model,
} from '../../lib';
import { randomArray, rng } from './random';

/** A convkit model using every exported layer kind. */
export function everyLayer(seed: number): Model {
  const x = input([3, 9, 9], { name: 'image' });
  const c0 = new ReLU({ name: 'c0_relu' }).apply(new Conv2D({ name: 'c0', filters: 6, kernelSize: 3, padding: 1 }).apply(x));
  const c1 = new Add({ name: 'residual' }).apply([c0, new Conv2D({ name: 'c1', filters: 6, kernelSize: 3, padding: 'same' }).apply(c0)]);
  const b1 = new Conv2D({ name: 'b1', filters: 3, kernelSize: 1 }).apply(c1);
  const b2 = new Tanh({ name: 'b2_tanh' }).apply(new Conv2D({ name: 'b2', filters: 4, kernelSize: 5, padding: 'same', useBias: false }).apply(c1));
  const b3 = new Conv2D({ name: 'b3', filters: 2, kernelSize: 1 }).apply(new MaxPool2D({ name: 'b3_pool', poolSize: 3, strides: 1, padding: 1 }).apply(c1));
  const joined = new BatchNorm2D({ name: 'bn' }).apply(concat([b1, b2, b3], { name: 'joined' }));
  const pooled = new AvgPool2D({ name: 'avg', poolSize: 2, strides: 2 }).apply(new MaxPool2D({ name: 'mp', poolSize: 3, strides: 2 }).apply(joined));
  const flat = new Dropout({ name: 'drop', rate: 0.2 }).apply(new Flatten({ name: 'flat' }).apply(pooled));
  const fc = new Sigmoid({ name: 'fc_sig' }).apply(new Dense({ name: 'fc', units: 7 }).apply(flat));
  const gap = new GlobalAvgPool2D({ name: 'gap' }).apply(new Conv2D({ name: 'c2', filters: 5, kernelSize: 3, strides: 2 }).apply(joined));
  const out = new Softmax({ name: 'probs' }).apply(new Dense({ name: 'out', units: 4 }).apply(concat([fc, gap], { name: 'features' })));
  const m = model({ inputs: x, outputs: out, name: 'every_layer', seed });
  // BatchNorm running statistics away from their initial values.
  const random = rng(seed);
  m.getLayer('bn').setWeights(m.getLayer('bn').getWeights().map((w, i) => new Tensor(Float32Array.from(randomArray(w.size, random), (v) => (i === 3 ? 0.5 + Math.abs(v) : v)), w.shape)));
  return m;
}

