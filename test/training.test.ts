import test from 'ava';
import { optimizers, regularizers, Tensor, tensor } from '../lib';
import { SoftmaxCrossEntropy } from '../lib/losses';
import { compile, evaluate, fit, predict, type ProgressStream } from '../lib/training';
import { runFixture } from './helpers/child';
import { maxRelError } from './helpers/random';
import { quadrants, smallCnn } from './helpers/tasks';
import { linearTask, modes, quiet, sameBits, snapshot, WeightRecorder } from './helpers/training';

function cnnTask(seed = 1, lr = 0.01) {
  const model = smallCnn(seed);
  const optimizer = new optimizers.Adam(model.parameters(), { lr });
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return { model, optimizer };
}

test('a small CNN learns which quadrant of an 8x8 image is bright, to zero test error', async (t) => {
  const train = quadrants(512, 1), held = quadrants(256, 2);
  const { model } = cnnTask();
  const history = await model.fit(train.x, train.y, { epochs: 12, batchSize: 32, seed: 1, verbose: 0, validationData: [held.x, held.y] });
  t.is(history.epoch.length, 12);
  t.true(history.history.loss[11] < history.history.loss[0] / 10, `loss ${history.history.loss[0]} -> ${history.history.loss[11]}`);
  const result = await model.evaluate(held.x, held.y);
  t.is(result.accuracy, 1);
  t.true(result.loss < 0.05, `test loss ${result.loss}`);
  t.is(history.history.val_loss[11], result.loss, 'validation logs are evaluate on the validation set');
});

test('fit is deterministic: the same seed gives the same weights bit for bit (dropout, shuffling), another seed others', async (t) => {
  const { x, y } = quadrants(192, 3);
  const run = async (seed: number, inProcess = false) => {
    const { model } = cnnTask(7);
    await model.fit(x, y, { epochs: 2, batchSize: 16, seed, verbose: 0, inProcess });
    return snapshot(model);
  };
  const a = await run(1), b = await run(1), c = await run(2), d = await run(1, true);
  t.true(sameBits(a, b));
  t.false(sameBits(a, c));
  t.true(sameBits(a, d), 'the worker and the main thread train the same way');
});

test('predict and evaluate in batches agree with forward on the whole set', async (t) => {
  const { x, y } = quadrants(37, 4);
  for (const mode of modes) {
    const { model } = cnnTask(3);
    const expected = model.forward(x).clone();
    const out = await model.predict(x, { batchSize: 5, ...mode.options });
    t.deepEqual(out.shape, [37, 4]);
    t.true(maxRelError(out.data, expected.data, 1e-6, 1e-5) <= 1, mode.name);
    const logs = await model.evaluate(x, y, { batchSize: 8, ...mode.options });
    const loss = new SoftmaxCrossEntropy().compute(expected, y).loss;
    let correct = 0;
    for (let i = 0; i < 37; i++) {
      const row = Array.from(expected.data.subarray(i * 4, i * 4 + 4));
      if (row.indexOf(Math.max(...row)) === y[i]) correct++;
    }
    t.true(Math.abs(logs.loss - loss) < 1e-5, `${logs.loss} vs ${loss}`);
    t.is(logs.accuracy, correct / 37);
  }
});

test('compile: optimizer by name, loss names, unknown names and fitting before compile are errors', async (t) => {
  const { x, y } = quadrants(8, 5);
  const model = smallCnn();
  await t.throwsAsync(model.fit(x, y, { verbose: 0 }), { message: /compile the model first/ });
  t.throws(() => model.compile({ optimizer: 'adamax', loss: 'mse' }), { message: /unknown optimizer 'adamax'/ });
  t.throws(() => model.compile({ optimizer: 'adam', loss: 'hinge' }), { message: /unknown loss/ });
  t.throws(() => model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['f7'] }), { message: /unknown metric/ });
  t.throws(() => model.compile({ optimizer: 'adam', loss: 'mse', regularizer: { l2: -1 } }), { message: /l2 must be/ });
  for (const name of ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adadelta', 'adam', 'adamw']) {
    model.compile({ optimizer: name, loss: 'categoricalCrossentropy' });
    const history = await model.fit(x, y, { epochs: 1, verbose: 0, seed: 1 });
    t.true(Number.isFinite(history.history.loss[0]), name);
  }
  await t.throwsAsync(model.fit(x, y.subarray(0, 7), { verbose: 0 }), { message: /differ in sample count/ });
  await t.throwsAsync(model.fit(x, y, { verbose: 0, batchSize: 0 }), { message: /batchSize must be a positive integer/ });
});

test('a model-wide regularizer penalizes weights but not biases, and its term is part of the loss', async (t) => {
  const { x, y } = quadrants(64, 6);
  const model = smallCnn(2, 0);
  model.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy', regularizer: regularizers.l2(0.01) });
  for (const p of model.parameters()) t.deepEqual(p.penalty, p.value.rank <= 1 ? null : { l1: 0, l2: 0.01 }, p.name);
  const withTerm = await model.evaluate(x, y);
  let sq = 0;
  for (const p of model.parameters()) if (p.value.rank > 1) for (const v of p.value.data) sq += v * v;
  model.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
  t.true(model.parameters().every((p) => p.penalty === null), 'compiling again without a regularizer removes it');
  const plain = await model.evaluate(x, y);
  t.true(Math.abs(withTerm.loss - plain.loss - 0.01 * sq) < 1e-5, `${withTerm.loss} - ${plain.loss} vs ${0.01 * sq}`);
  // Training with a strong penalty ends with smaller weights.
  const norms = [];
  for (const l2 of [0, 0.5]) {
    const m = smallCnn(2, 0);
    m.compile({ optimizer: new optimizers.SGD(m.parameters(), { lr: 0.1 }), loss: 'softmaxCrossEntropy', regularizer: { l2 } });
    await m.fit(x, y, { epochs: 3, verbose: 0, seed: 1 });
    norms.push(m.parameters().filter((p) => p.value.rank > 1).reduce((s, p) => s + p.value.data.reduce((a, v) => a + v * v, 0), 0));
  }
  t.true(norms[1] < norms[0] * 0.8, `weight norms ${norms}`);
});

for (const mode of modes) {
  test(`clipNorm bounds the step: one SGD step of lr 1 moves the weights by at most clipNorm [${mode.name}]`, async (t) => {
    const { x, y } = quadrants(32, 7);
    const model = smallCnn(4, 0);
    model.compile({ optimizer: new optimizers.SGD(model.parameters(), { lr: 1 }), loss: 'softmaxCrossEntropy' });
    const before = snapshot(model);
    await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, clipNorm: 0.01, ...mode.options });
    const moved = Math.sqrt(snapshot(model).reduce((s, w, i) => s + w.reduce((a, v, j) => a + (v - before[i][j]) ** 2, 0), 0));
    t.true(moved <= 0.01 * (1 + 1e-4) && moved > 0.0099, `moved ${moved}`);
  });
}

test('validationSplit holds out the last samples, as validationData with them would', async (t) => {
  const { model: a, x, y } = linearTask(1, 100);
  const h1 = await fit(a, x, y, { ...quiet, epochs: 2, seed: 3, validationSplit: 0.2 });
  const { model: b } = linearTask(1, 100);
  const trainX = new Tensor(x.data.subarray(0, 80 * 4), [80, 4]), valX = new Tensor(x.data.subarray(80 * 4), [20, 4]);
  const h2 = await fit(b, trainX, y.subarray(0, 80), { ...quiet, epochs: 2, seed: 3, validationData: { x: valX, y: y.subarray(80) } });
  t.deepEqual(h1.history, h2.history);
  await t.throwsAsync(fit(a, x, y, { ...quiet, validationSplit: 1.5 }), { message: /validationSplit must be in/ });
});

for (const mode of modes) {
  test(`abort: fit rejects with an AbortError, the model keeps the weights of a completed step [${mode.name}]`, async (t) => {
    const { model, x, y } = linearTask(1, 4000);
    const controller = new AbortController();
    const recorder = new WeightRecorder();
    let batches = 0;
    const stopper = { onBatchEnd: (b: number) => { if (++batches === 150 + 3) controller.abort(); void b; } };
    const error = await t.throwsAsync(fit(model, x, y, { ...quiet, ...mode.options, epochs: 5, batchSize: 32, seed: 1, signal: controller.signal, callbacks: [recorder, stopper] }));
    t.is(error?.name, 'AbortError');
    t.is(recorder.epochs.length, 1, 'aborted during the second epoch');
    if (mode.name === 'worker') t.true(sameBits(snapshot(model), recorder.epochs[0]), 'worker mode: the weights of the last completed epoch');
    else t.false(sameBits(snapshot(model), recorder.epochs[0]), 'in-process mode: the weights of the last completed batch');
    const already = AbortSignal.abort();
    await t.throwsAsync(fit(model, x, y, { ...quiet, ...mode.options, signal: already }), { name: 'AbortError' });
    await t.throwsAsync(predict(model, x, { ...mode.options, signal: already }), { name: 'AbortError' });
  });
}

class Capture implements ProgressStream {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(s: string) {
    this.text += s;
    return true;
  }
}

test('progress: plain lines per epoch without a TTY, a redrawn bar on a TTY, nothing with verbose 0', async (t) => {
  const { model, x, y } = linearTask(1, 200);
  const plain = new Capture(false);
  await fit(model, x, y, { ...quiet, verbose: 1, progressStream: plain, epochs: 3, batchSize: 50, validationSplit: 0.2, seed: 1 });
  const lines = plain.text.split('\n');
  t.is(lines.pop(), '');
  t.is(lines.length, 3);
  lines.forEach((line, i) => t.regex(line,
    new RegExp(`^Epoch ${i + 1}/3 - 4/4 - [\\d.]+s - \\d+ images/s - loss: \\d\\.\\d{4} - accuracy: \\d\\.\\d{4} - val_loss: \\d\\.\\d{4} - val_accuracy: \\d\\.\\d{4}$`)));
  t.false(plain.text.includes('\r'));

  const tty = new Capture(true);
  await fit(model, x, y, { ...quiet, verbose: 1, progressStream: tty, epochs: 2, batchSize: 50, seed: 1 });
  t.regex(tty.text, /\rEpoch 1\/2 \[[=>.]{24}\] \d\/4 - ETA [\d.]+s - \d+ images\/s - loss: \d\.\d{4}/);
  t.is(tty.text.split('\n').length - 1, 2, 'one finished line per epoch');

  const silent = new Capture(true);
  await fit(model, x, y, { ...quiet, verbose: 0, progressStream: silent, epochs: 1 });
  t.is(silent.text, '');
});

test('compile and fit accept plain models, losses given as objects, and label or one-hot targets', async (t) => {
  const { model, x, y } = linearTask(2, 90);
  const oneHot = tensor(Float32Array.from({ length: 90 * 3 }, (_, j) => (y[Math.floor(j / 3)] === j % 3 ? 1 : 0)), [90, 3]);
  const a = await evaluate(model, x, y, { workerSetup: quiet.workerSetup });
  const b = await evaluate(model, x, oneHot, { workerSetup: quiet.workerSetup });
  t.deepEqual(a, b);
  compile(model, { optimizer: new optimizers.SGD(model.parameters(), { lr: 0.1 }), loss: new SoftmaxCrossEntropy(), metrics: ['accuracy'] });
  const h = await fit(model, x, oneHot, { ...quiet, inProcess: true, epochs: 2 });
  t.true(h.history.loss[1] < h.history.loss[0]);
});

test('errors in the worker reject the call with their class and message', async (t) => {
  const model = smallCnn();
  model.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });
  const wrong = new Tensor(new Float32Array(2 * 3 * 8 * 8), [2, 3, 8, 8]);
  await t.throwsAsync(model.fit(wrong, new Int32Array(2), { verbose: 0 }), { instanceOf: RangeError, message: /input must be \[N, 1, 8, 8\]/ });
  await t.throwsAsync(model.predict(wrong), { instanceOf: RangeError });
  const failing = { onBatchEnd: () => { throw new Error('callback failed'); } };
  const { x, y } = quadrants(64, 1);
  await t.throwsAsync(model.fit(x, y, { verbose: 0, callbacks: [failing] }), { message: 'callback failed' });
});

test('fit gives the same bits on repeated runs at 1 and at 2 threads (child process)', (t) => {
  const result = runFixture('train-threads.ts');
  t.is(result.status, 0, result.stderr);
  const runs = JSON.parse(result.stdout) as Record<string, string[]>;
  for (const [threads, [a, b]] of Object.entries(runs)) t.is(a, b, `${threads} threads`);
});

test('a second fit of a model that is training is an error; the first one is unaffected', async (t) => {
  const { model, x, y } = linearTask(1, 200);
  const first = fit(model, x, y, { ...quiet, epochs: 2, seed: 1 });
  await t.throwsAsync(fit(model, x, y, quiet), { message: /already training/ });
  const history = await first;
  t.deepEqual(history.epoch, [0, 1]);
  await t.notThrowsAsync(fit(model, x, y, quiet));
});

test('a model the worker cannot rebuild is an error that says how to train it', async (t) => {
  const { model, x, y } = linearTask(1, 30);
  await t.throwsAsync(fit(model, x, y, { verbose: 0 }), { message: /workerSetup module \(or train with inProcess: true\)/ });
  await t.notThrowsAsync(fit(model, x, y, { verbose: 0, inProcess: true }));
});
