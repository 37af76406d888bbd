import test from 'ava';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadModel, optimizers, saveModel } from '../lib';
import { EarlyStopping, fit, ModelCheckpoint, readCheckpoint, ReduceLROnPlateau } from '../lib/training';
import { quadrants, smallCnn } from './helpers/tasks';
import { linearTask, modes, quiet, sameBits, scripted, snapshot, WeightRecorder } from './helpers/training';

const dir = () => mkdtempSync(path.join(tmpdir(), 'convkit-ckpt-'));
const data = quadrants(96, 11);

/** A small CNN with dropout, Adam with two parameter groups (the dense layer at a lower lr). */
function cnnTask() {
  const model = smallCnn(5, 0.25);
  const [convW, convB, denseW, denseB] = model.parameters();
  const optimizer = new optimizers.Adam([{ params: [convW, convB] }, { params: [denseW, denseB], lr: 0.005 }], { lr: 0.01 });
  model.compile({ optimizer, loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
  return { model, optimizer };
}

test('ModelCheckpoint writes model files holding the optimizer state, lr, epoch and seed, leaving no temporary files', async (t) => {
  const { model, optimizer } = cnnTask();
  const folder = dir();
  const recorder = new WeightRecorder();
  const checkpoint = new ModelCheckpoint({ path: path.join(folder, 'epoch-{epoch}.ckpt') });
  await model.fit(data.x, data.y, { verbose: 0, epochs: 3, seed: 5, callbacks: [checkpoint, recorder] });
  t.deepEqual(readdirSync(folder).sort(), ['epoch-1.ckpt', 'epoch-2.ckpt', 'epoch-3.ckpt']);
  for (let epoch = 0; epoch < 3; epoch++) {
    const c = await readCheckpoint(path.join(folder, `epoch-${epoch + 1}.ckpt`));
    t.is(c.epoch, epoch);
    t.is(c.seed, 5);
    t.is(c.lr, 0.01);
    t.deepEqual(c.model.toConfig(), model.toConfig());
    t.true(sameBits(snapshot(c.model), recorder.epochs[epoch]));
    t.true(Number.isFinite(c.logs.loss) && Number.isFinite(c.logs.accuracy));
  }
  const last = await readCheckpoint(path.join(folder, 'epoch-3.ckpt'));
  t.deepEqual(last.optimizerState, optimizer.stateDict(), 'Adam moments, step counts and both groups\' settings');
  const loaded = await loadModel(path.join(folder, 'epoch-3.ckpt'));
  t.true(sameBits(snapshot(loaded), snapshot(model)), 'a checkpoint is a model file');
});

test('ModelCheckpoint saveBestOnly keeps epochs where the monitored value improved; everyEpochs skips others', async (t) => {
  const { model } = cnnTask();
  const folder = dir();
  const best = new ModelCheckpoint({ path: path.join(folder, 'best{epoch}.ckpt'), monitor: 'score', saveBestOnly: true });
  const every = new ModelCheckpoint({ path: path.join(folder, 'every{epoch}.ckpt'), everyEpochs: 2 });
  await model.fit(data.x, data.y, { verbose: 0, epochs: 5, seed: 5, callbacks: [scripted('score', [3, 2, 2.5, 1, 4]), best, every] });
  t.deepEqual(best.saved.map((f) => path.basename(f)), ['best1.ckpt', 'best2.ckpt', 'best4.ckpt']);
  t.deepEqual(every.saved.map((f) => path.basename(f)), ['every2.ckpt', 'every4.ckpt']);
});

for (const mode of modes) {
  test(`resuming from a checkpoint gives bit for bit the weights and history of uninterrupted training [${mode.name}]`, async (t) => {
    // Scripted scores: bad epochs 2 and 3 cut the lr at epoch 3, which needs the plateau state
    // of epoch 2 to come back with the checkpoint.
    const callbacks = () => [
      scripted('score', [1, 0.5, 0.6, 0.7, 0.8, 0.9]),
      new ReduceLROnPlateau({ monitor: 'score', patience: 1, factor: 0.5 }),
      new EarlyStopping({ monitor: 'val_loss', patience: 50, restoreBestWeights: true }),
    ];
    const options = { verbose: 0 as const, inProcess: mode.name === 'in-process', batchSize: 16, validationSplit: 0.25, seed: 9 };
    const full = cnnTask();
    const fullHistory = await full.model.fit(data.x, data.y, { ...options, epochs: 6, callbacks: callbacks() });

    const folder = dir();
    const first = cnnTask();
    await first.model.fit(data.x, data.y, {
      ...options, epochs: 3, callbacks: [...callbacks(), new ModelCheckpoint({ path: path.join(folder, 'last.ckpt') })],
    });
    // A new process rebuilds the model and optimizer from scratch: do the same.
    const resumed = cnnTask();
    const rest = await resumed.model.fit(data.x, data.y, { ...options, epochs: 6, callbacks: callbacks(), resume: path.join(folder, 'last.ckpt') });

    t.deepEqual(rest.epoch, [3, 4, 5]);
    t.true(sameBits(snapshot(resumed.model), snapshot(full.model)));
    t.deepEqual(resumed.optimizer.stateDict(), full.optimizer.stateDict());
    for (const key of Object.keys(fullHistory.history)) t.deepEqual(rest.history[key], fullHistory.history[key].slice(3), key);
    t.deepEqual(fullHistory.history.lr, [0.01, 0.01, 0.01, 0.005, 0.005, 0.0025]);
    t.deepEqual(resumed.optimizer.paramGroups.map((g) => g.lr), [0.0025, 0.00125], 'per-group rates restored and cut');
  });
}

test('checkpoints need a convkit Model; bad files are errors naming the problem', async (t) => {
  const folder = dir();
  const { model, x, y } = linearTask();
  await t.throwsAsync(fit(model, x, y, { ...quiet, epochs: 1, callbacks: [new ModelCheckpoint({ path: path.join(folder, 'a.ckpt') })] }),
    { message: /checkpoints store convkit Models/ });
  const cnn = cnnTask();
  await cnn.model.fit(data.x, data.y, { verbose: 0, epochs: 1, callbacks: [new ModelCheckpoint({ path: path.join(folder, 'b.ckpt') })] });
  const bytes = readFileSync(path.join(folder, 'b.ckpt'));
  writeFileSync(path.join(folder, 'cut.ckpt'), bytes.subarray(0, bytes.length - 10));
  await t.throwsAsync(readCheckpoint(path.join(folder, 'cut.ckpt')), { message: /truncated/ });
  await saveModel(cnn.model, path.join(folder, 'plain.model'));
  await t.throwsAsync(readCheckpoint(path.join(folder, 'plain.model')), { message: /without training state/ });
  t.throws(() => new ModelCheckpoint({ path: 'x', everyEpochs: 0 }), { message: /everyEpochs/ });
});

test('resume matches callback state by class and order (progress output and checkpoints may differ), and refuses other callbacks', async (t) => {
  const folder = dir();
  const file = path.join(folder, 'last.ckpt');
  const first = cnnTask();
  const sink = { write: () => true, isTTY: false };
  await first.model.fit(data.x, data.y, {
    verbose: 1, progressStream: sink, epochs: 2, seed: 2,
    callbacks: [new ReduceLROnPlateau({ monitor: 'loss' }), new ModelCheckpoint({ path: file })],
  });
  const ok = cnnTask();
  const history = await ok.model.fit(data.x, data.y, { verbose: 0, epochs: 3, resume: file, callbacks: [new ReduceLROnPlateau({ monitor: 'loss' })] });
  t.deepEqual(history.epoch, [2]);
  const other = cnnTask();
  await t.throwsAsync(other.model.fit(data.x, data.y, { verbose: 0, epochs: 3, resume: file, callbacks: [new EarlyStopping()] }),
    { message: /checkpoint has state for callbacks \[ReduceLROnPlateau\], this fit has \[EarlyStopping\]/ });
});
