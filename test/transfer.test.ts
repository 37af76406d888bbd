import test from 'ava';
import { Dense, Flatten, ReLU, Tensor, sequential } from '../lib';
import { lenet5 } from '../lib/models/lenet5';
import { SoftmaxCrossEntropy } from '../lib/losses';
import { Adam } from '../lib/optimizers';
import { attachHead, cloneModel, featureExtractor, freeze, layerRange, lrGroups, parametersOf, unfreeze } from '../lib/transfer';
import { mean, transferDigits } from '../examples/transfer-digits';
import { randomArray, rng } from './helpers/random';

const batch = (n: number, seed: number) => new Tensor(randomArray(n * 28 * 28, rng(seed)), [n, 1, 28, 28]);

test('featureExtractor: the layers up to a named one, sharing weights, frozen', (t) => {
  const m = lenet5({ seed: 1 });
  const ex = m.featureExtractor('c5');
  t.deepEqual(ex.layers.map((l) => l.name), ['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2', 'c5']);
  t.deepEqual([...ex.outputShape], [120, 1, 1]);
  t.true(ex.parameters().every((p) => !p.trainable));
  t.is(ex.getLayer('conv1'), m.getLayer('conv1'));
  // Same values as running the full model's first layers.
  const x = batch(3, 2);
  const features = ex.forward(x).clone();
  const viaLayers = ex.layers.reduce((y, l) => l.forward(y), x);
  t.deepEqual([...features.data], [...viaLayers.data]);
  const open = featureExtractor(lenet5({ seed: 1 }), 'pool2', { freeze: false });
  t.true(open.parameters().every((p) => p.trainable));
  t.throws(() => m.featureExtractor('nope'), { instanceOf: RangeError, message: /no layer 'nope'.*conv1/ });
});

test('freeze / unfreeze / layerRange / lrGroups work on layer ranges in topological order', (t) => {
  const m = lenet5({ seed: 1 });
  freeze(m, { upTo: 'conv2' });
  t.deepEqual(m.layers.filter((l) => !l.trainable).map((l) => l.name), ['conv1', 'relu1', 'pool1', 'conv2']);
  unfreeze(m, { from: 'pool1' });
  t.deepEqual(m.layers.filter((l) => !l.trainable).map((l) => l.name), ['conv1', 'relu1']);
  t.deepEqual(layerRange(m, { from: 'c5', to: 'f6' }).map((l) => l.name), ['c5', 'relu3', 'flatten', 'f6']);
  t.throws(() => layerRange(m, { from: 'f6', to: 'c5' }), { message: /comes after/ });
  t.deepEqual(parametersOf(m, { from: 'c5', to: 'c5' }).map((p) => p.name), ['c5/kernel', 'c5/bias']);
  const groups = lrGroups(m, { from: 'c5', to: 'c5', lr: 1e-4 }, 1e-3);
  t.deepEqual(groups.map((g) => [g.lr, g.params.length]), [[1e-4, 2], [1e-3, 8]]);
});

test('frozen weights stay unchanged under training while the others move; unfrozen they move', (t) => {
  const m = lenet5({ seed: 3 });
  freeze(m, { upTo: 'c5' });
  const frozen = parametersOf(m, { to: 'c5' });
  const before = frozen.map((p) => p.value.clone());
  const headBefore = m.getLayer('f6').getWeights()[0];
  const opt = new Adam(m.parameters(), { lr: 1e-2 });
  const loss = new SoftmaxCrossEntropy();
  const x = batch(8, 4);
  const labels = Int32Array.from({ length: 8 }, (_, i) => i % 10);
  const step = () => {
    m.zeroGrad();
    m.backward(loss.compute(m.forward(x, { training: true }), labels).grad);
    opt.step();
  };
  for (let i = 0; i < 3; i++) step();
  frozen.forEach((p, i) => t.deepEqual([...p.value.data], [...before[i].data], p.name));
  t.true(m.getLayer('f6').getWeights()[0].data.some((v, i) => v !== headBefore.data[i]));
  unfreeze(m, { from: 'c5' });
  step();
  t.true(m.getLayer('c5').getWeights()[0].data.some((v, i) => v !== before[4].data[i]));
  t.deepEqual([...m.getLayer('conv2').getWeights()[0].data], [...before[2].data]);
});

test('attachHead: a head trained on features, joined to the base, computes head(base(x)); cloneModel copies', (t) => {
  const base = lenet5({ seed: 5 });
  const ex = featureExtractor(base, 'pool2');
  const head = sequential([new Flatten({ name: 'h_flat' }), new Dense({ units: 7, name: 'h_fc' }), new ReLU({ name: 'h_relu' }), new Dense({ units: 3, name: 'h_out' })], { inputShape: ex.outputShape, seed: 6 });
  const x = batch(4, 7);
  const features = ex.forward(x).clone();
  const expected = head.forward(features).clone();
  const net = attachHead(ex, head);
  t.deepEqual([...net.forward(x).data], [...expected.data]);
  t.is(net.getLayer('conv1'), base.getLayer('conv1'));
  t.not(net.getLayer('h_fc'), head.getLayer('h_fc'));
  const clash = sequential([new Flatten({ name: 'conv1' }), new Dense({ units: 2, name: 'h2' })], { inputShape: ex.outputShape });
  t.throws(() => attachHead(ex, clash), { message: /already has a layer named 'conv1'/ });
  const wrong = sequential([new Dense({ units: 2, name: 'h3' })], { inputShape: [5] });
  t.throws(() => attachHead(ex, wrong), { message: /takes \[5\]/ });
  // An independent copy: training it leaves the original alone.
  const copy = cloneModel(net, { name: 'copy' });
  t.deepEqual([...copy.forward(x).data], [...expected.data]);
  t.not(copy.getLayer('conv1'), net.getLayer('conv1'));
  t.false(copy.getLayer('conv1').trainable);
  copy.getLayer('h_out').setWeights(copy.getLayer('h_out').getWeights().map((w) => new Tensor(w.data.map((v) => v + 1), w.shape)));
  t.deepEqual([...net.forward(x).data], [...expected.data]);
});

test('digits 0-4 -> 5-9: LeNet-5 frozen up to C5 with a new head beats training from scratch on 50 examples per class', async (t) => {
  const lines: string[] = [];
  const r = await transferDigits({ basePerClass: 600, baseEpochs: 5, testPerClass: 300, seed: 1, fewShotSeeds: [1, 2, 3], log: (l) => lines.push(l) });
  for (const l of lines) t.log(l);
  t.true(r.base > 0.95, `base accuracy ${r.base}`);
  t.is(r.frozenChange, 0);
  t.true(mean(r.transfer) > mean(r.scratch), `transfer ${r.transfer} vs scratch ${r.scratch}`);
  t.true(mean(r.transfer) > 0.9 && mean(r.transferFromC5) > 0.8 && r.fineTuned > 0.9, JSON.stringify(r));
});
