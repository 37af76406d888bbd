import test from 'ava';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  EarlyStopping, fit, ModelCheckpoint, readCheckpoint, ReduceLROnPlateau,
} from '../lib/training';
import { linearTask, modes, quiet, sameBits, scripted, snapshot, WeightRecorder } from './helpers/training';

const dir = () => mkdtempSync(path.join(tmpdir(), 'convkit-ckpt-'));

test('ModelCheckpoint writes the model, optimizer state, lr and epoch at each epoch end, leaving no temporary files', async (t) => {
  const { model, x, y, optimizer } = linearTask();
  const folder = dir();
  const recorder = new WeightRecorder();
  const checkpoint = new ModelCheckpoint({ path: path.join(folder, 'epoch-{epoch}.ckpt') });
  await fit(model, x, y, { ...quiet, epochs: 3, seed: 5, callbacks: [checkpoint, recorder] });
  t.deepEqual(readdirSync(folder).sort(), ['epoch-1.ckpt', 'epoch-2.ckpt', 'epoch-3.ckpt']);
  for (let epoch = 0; epoch < 3; epoch++) {
    const c = await readCheckpoint(path.join(folder, `epoch-${epoch + 1}.ckpt`));
    t.is(c.epoch, epoch);
    t.is(c.seed, 5);
    t.is(c.lr, optimizer.lr);
    t.deepEqual(c.modelConfig, model.toConfig());
    t.true(sameBits(c.weights, recorder.epochs[epoch]));
    t.true(Number.isFinite(c.logs.loss));
  }
  const last = await readCheckpoint(path.join(folder, 'epoch-3.ckpt'));
  const state = optimizer.stateDict();
  t.deepEqual(last.optimizerState, state, 'the optimizer state of the last epoch (Adam moments and step counts)');
});

test('ModelCheckpoint saveBestOnly keeps epochs where the monitored value improved', async (t) => {
  const { model, x, y } = linearTask();
  const folder = dir();
  const checkpoint = new ModelCheckpoint({ path: path.join(folder, 'e{epoch}.ckpt'), monitor: 'loss', saveBestOnly: true });
  const history = await fit(model, x, y, { ...quiet, epochs: 4, seed: 5, callbacks: [checkpoint] });
  const losses = history.history.loss;
  const improving = losses.map((l, i) => losses.slice(0, i).every((p) => l < p));
  t.deepEqual(checkpoint.saved.map((f) => path.basename(f)), improving.flatMap((b, i) => (b ? [`e${i + 1}.ckpt`] : [])));
});

for (const mode of modes) {
  test(`resuming from a checkpoint gives bit for bit the weights and history of uninterrupted training [${mode.name}]`, async (t) => {
    // Scripted scores: bad epochs 2 and 3 cut the lr at epoch 3, which needs the plateau state
    // of epoch 2 to come back with the checkpoint.
    const callbacks = () => [
      scripted('score', [1, 0.5, 0.6, 0.7, 0.8, 0.9]),
      new ReduceLROnPlateau({ monitor: 'score', patience: 1, factor: 0.5 }),
      new EarlyStopping({ monitor: 'val_loss', patience: 50 }),
    ];
    const options = { ...quiet, ...mode.options, batchSize: 16, validationSplit: 0.25, seed: 9 };
    const full = linearTask();
    const fullHistory = await fit(full.model, full.x, full.y, { ...options, epochs: 6, callbacks: callbacks() });

    const folder = dir();
    const first = linearTask();
    await fit(first.model, first.x, first.y, {
      ...options, epochs: 3, callbacks: [...callbacks(), new ModelCheckpoint({ path: path.join(folder, 'last.ckpt') })],
    });
    // A new process would rebuild the model and optimizer from scratch: do the same.
    const resumed = linearTask(1);
    for (const w of resumed.model.getWeights()) w.data.fill(0.5);
    const rest = await fit(resumed.model, resumed.x, resumed.y, { ...options, epochs: 6, callbacks: callbacks(), resume: path.join(folder, 'last.ckpt') });

    t.deepEqual(rest.epoch, [3, 4, 5]);
    t.true(sameBits(snapshot(resumed.model), snapshot(full.model)));
    t.deepEqual(resumed.optimizer.stateDict(), full.optimizer.stateDict());
    for (const key of Object.keys(fullHistory.history)) t.deepEqual(rest.history[key], fullHistory.history[key].slice(3), key);
    t.deepEqual(fullHistory.history.lr, [0.05, 0.05, 0.05, 0.025, 0.025, 0.0125]);
  });
}

test('readCheckpoint rejects files that are not checkpoints or are truncated', async (t) => {
  const folder = dir();
  const { model, x, y } = linearTask();
  await fit(model, x, y, { ...quiet, epochs: 1, callbacks: [new ModelCheckpoint({ path: path.join(folder, 'a.ckpt') })] });
  const bytes = readFileSync(path.join(folder, 'a.ckpt'));
  writeFileSync(path.join(folder, 'cut.ckpt'), bytes.subarray(0, bytes.length - 10));
  writeFileSync(path.join(folder, 'junk.ckpt'), 'hello');
  await t.throwsAsync(readCheckpoint(path.join(folder, 'cut.ckpt')), { message: /truncated/ });
  await t.throwsAsync(readCheckpoint(path.join(folder, 'junk.ckpt')), { message: /not a convkit checkpoint/ });
});
