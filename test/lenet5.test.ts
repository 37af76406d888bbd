import test from 'ava';
import { Tensor } from '../lib/tensor';
import { lenet5 } from '../lib/models/lenet5';
import { layerActivations } from '../lib/viz/featuremaps';
import { loadSplit, argmaxRows } from '../lib/cli/run';
import { TRAIN_DEFAULTS } from '../lib/cli/train';

test('LeNet-5: the classic 61,706 parameters, named layers, LeCun feature-map sizes', (t) => {
  for (const variant of ['relu-max', 'tanh-avg'] as const) {
    const model = lenet5({ variant, seed: 1 });
    t.is(model.countParams(), 61706, variant);
    const act = variant === 'relu-max' ? 'relu' : 'tanh';
    t.deepEqual(model.layers.map((l) => l.name), ['conv1', `${act}1`, 'pool1', 'conv2', `${act}2`, 'pool2', 'c5', `${act}3`, 'flatten', 'f6', `${act}4`, 'output']);
    const maps = layerActivations(model, new Tensor(new Float32Array(784).fill(0.5), [1, 1, 28, 28]));
    const shapes = Object.fromEntries(maps.map((m) => [m.name, m.shape.join('x')]));
    t.like(shapes, { input: '1x28x28', conv1: '6x28x28', pool1: '6x14x14', conv2: '16x10x10', pool2: '16x5x5', c5: '120x1x1', f6: '84x1x1', output: '10x1x1' });
  }
  t.true(lenet5({ dropout: 0.3 }).layers.some((l) => l.name === 'dropout'));
  t.is(lenet5({ numClasses: 3 }).outputShape[0], 3);
  t.throws(() => lenet5({ variant: 'sigmoid' as never }), { message: /variant must be one of relu-max, tanh-avg/ });
});

test('the same seed gives the same initial weights', (t) => {
  const a = lenet5({ seed: 7 }).getWeights();
  const b = lenet5({ seed: 7 }).getWeights();
  a.forEach((w, i) => t.deepEqual(w.data, b[i].data));
});

test('the shipped pre-trained LeNet-5 scores >= 97% on the held-out test split of the bundled digits', (t) => {
  const model = lenet5({ pretrained: true });
  const { test: split } = loadSplit({ data: 'mnist', limit: null, seed: TRAIN_DEFAULTS.seed, validation: TRAIN_DEFAULTS.validation, test: TRAIN_DEFAULTS.test });
  t.is(split.y.length, 1000);
  const predicted = argmaxRows(model.forward(split.x));
  let right = 0;
  predicted.forEach((p, i) => {
    if (p === split.y[i]) right++;
  });
  t.log(`pre-trained LeNet-5 test accuracy ${(right / 10).toFixed(1)}%`);
  t.true(right / split.y.length >= 0.97, `accuracy ${right / split.y.length}`);
  t.throws(() => lenet5({ pretrained: true, variant: 'tanh-avg' }), { message: /pre-trained weights are for the relu-max variant/ });
});
