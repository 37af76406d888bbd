import test from 'ava';
import { Tensor } from '../lib';
import { BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy, getLoss } from '../lib/losses';
import { accuracy, confusionMatrix, getMetric, topKAccuracy } from '../lib/metrics';

const logits = new Tensor(Float32Array.from([2, 1, 0, 0, 3, 1, 1, 1, 5, 4, 1, 0]), [4, 3]);
const labels = Int32Array.from([0, 1, 1, 2]);

test('softmax cross-entropy: mean loss and gradient (softmax - onehot) / N, labels or one-hot', (t) => {
  const loss = new SoftmaxCrossEntropy();
  const { loss: value, grad } = loss.compute(logits, labels);
  let expected = 0;
  const expectedGrad: number[] = [];
  for (let n = 0; n < 4; n++) {
    const row = [...logits.data.subarray(n * 3, n * 3 + 3)];
    const z = row.reduce((s, v) => s + Math.exp(v), 0);
    expected -= Math.log(Math.exp(row[labels[n]]) / z) / 4;
    row.forEach((v, k) => expectedGrad.push((Math.exp(v) / z - (k === labels[n] ? 1 : 0)) / 4));
  }
  t.true(Math.abs(value - expected) < 1e-5);
  t.true(grad.data.every((g, i) => Math.abs(g - expectedGrad[i]) < 1e-6));
  t.is(loss.compute(logits, labels).grad, grad, 'the gradient buffer is reused');
  const onehot = new Tensor(new Float32Array(12), [4, 3]);
  labels.forEach((c, n) => (onehot.data[n * 3 + c] = 1));
  t.true(Math.abs(loss.compute(logits, onehot).loss - expected) < 1e-5);
});

test('mse and binary cross-entropy from logits', (t) => {
  const pred = new Tensor(Float32Array.from([1, 2, 3, 4]), [2, 2]);
  const target = new Tensor(Float32Array.from([1, 0, 3, 2]), [2, 2]);
  const mse = new MeanSquaredError().compute(pred, target);
  t.true(Math.abs(mse.loss - (0 + 4 + 0 + 4) / 4) < 1e-6);
  t.deepEqual([...mse.grad.data], [0, 1, 0, 1]); // 2 (p - y) / 4
  const z = new Tensor(Float32Array.from([0.5, -1]), [2, 1]);
  const y = new Tensor(Float32Array.from([1, 0]), [2, 1]);
  const bce = new BinaryCrossEntropy().compute(z, y);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  t.true(Math.abs(bce.loss - -(Math.log(sig(0.5)) + Math.log(1 - sig(-1))) / 2) < 1e-6);
  t.throws(() => new MeanSquaredError().compute(pred, Int32Array.from([1, 2])), { message: /mse: the target must be a Tensor/ });
});

test('losses by name, Keras spellings included', (t) => {
  t.true(getLoss('categorical_crossentropy') instanceof SoftmaxCrossEntropy);
  t.true(getLoss('sparseCategoricalCrossentropy') instanceof SoftmaxCrossEntropy);
  t.true(getLoss('binary_crossentropy') instanceof BinaryCrossEntropy);
  t.is(getLoss('mse').name, 'mse');
  t.throws(() => getLoss('constructor'), { message: /unknown loss/ });
});

test('accuracy, top-k accuracy and the confusion matrix', (t) => {
  // Predicted classes 0, 1, 2, 0 for labels 0, 1, 1, 2.
  t.is(accuracy(logits, labels), 2 / 4);
  const tied = new Tensor(Float32Array.from([1, 1, 0]), [1, 3]);
  t.is(topKAccuracy(tied, Int32Array.from([1]), 1), 1, 'a tie with the top score counts as a hit');
  t.is(topKAccuracy(logits, labels, 1), 2 / 4);
  t.is(topKAccuracy(logits, labels, 2), 3 / 4);
  t.is(topKAccuracy(logits, labels, 3), 1);
  t.deepEqual(confusionMatrix(logits, labels), [
    [1, 0, 0],
    [0, 1, 1],
    [1, 0, 0],
  ]);
  const binary = new Tensor(Float32Array.from([0.3, -2, 1, -0.1]), [4, 1]);
  t.is(accuracy(binary, new Tensor(Float32Array.from([1, 0, 0, 0]), [4, 1])), 3 / 4);
  t.is(getMetric('accuracy').compute(logits, labels), 0.5);
  const top2 = getMetric('top2_accuracy');
  t.is(top2.name, 'top2Accuracy');
  t.is(top2.compute(logits, labels), 0.75);
  t.throws(() => accuracy(logits, Int32Array.from([0, 1, 3, 0])), { message: /label 3 of sample 2 is outside \[0, 3\)/ });
  t.throws(() => accuracy(logits, Int32Array.from([0, 1])), { message: /2 labels for 4 predictions/ });
  t.throws(() => getMetric('f1'), { message: /unknown metric/ });
});
