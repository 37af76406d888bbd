import test from 'ava';
import { schedules } from '../lib';
import {
  Callback, EarlyStopping, fit, LambdaCallback, LearningRateScheduler, ReduceLROnPlateau, type Logs,
} from '../lib/training';
import { linearTask, modes, quiet, sameBits, scripted, snapshot, WeightRecorder } from './helpers/training';

for (const mode of modes) {
  test(`EarlyStopping stops after patience epochs without improvement and restores the best weights [${mode.name}]`, async (t) => {
    const { model, x, y } = linearTask();
    const recorder = new WeightRecorder();
    const stopper = new EarlyStopping({ monitor: 'score', patience: 2, restoreBestWeights: true });
    // Best at epoch 1; epochs 2 and 3 are worse: stop at the end of epoch 3.
    const history = await fit(model, x, y, {
      ...quiet, ...mode.options, epochs: 10, batchSize: 32, seed: 1,
      callbacks: [scripted('score', [1.0, 0.8, 0.9, 0.85, 0.1, 0.1]), recorder, stopper],
    });
    t.deepEqual(history.epoch, [0, 1, 2, 3]);
    t.deepEqual(history.history.score, [1.0, 0.8, 0.9, 0.85]);
    t.is(stopper.stoppedEpoch, 3);
    t.is(stopper.bestValue, 0.8);
    t.false(sameBits(recorder.epochs[3], recorder.epochs[1]), 'training changed the weights after the best epoch');
    t.true(sameBits(snapshot(model), recorder.epochs[1]), 'the model holds the weights of the best epoch');
  });
}

test('EarlyStopping: changes smaller than minDelta are no improvement; mode max for accuracy-like names', async (t) => {
  const { model, x, y } = linearTask();
  const stopper = new EarlyStopping({ monitor: 'score', patience: 1, minDelta: 0.05 });
  const history = await fit(model, x, y, { ...quiet, epochs: 10, seed: 1, callbacks: [scripted('score', [1.0, 0.97, 0.9, 0.89, 0.88]), stopper] });
  // 0.97 is within minDelta of 1.0: stop at epoch 1.
  t.deepEqual(history.epoch, [0, 1]);
  const max = new EarlyStopping({ monitor: 'val_accuracy', patience: 1 });
  const h2 = await fit(model, x, y, { ...quiet, epochs: 10, seed: 1, callbacks: [scripted('val_accuracy', [0.5, 0.6, 0.7, 0.65, 0.9]), max] });
  t.deepEqual(h2.epoch, [0, 1, 2, 3]);
});

test('LearningRateScheduler: the schedule sets the lr each epoch, and the worker trains with it', async (t) => {
  const { model, x, y } = linearTask();
  const recorder = new WeightRecorder();
  // lr 0 from epoch 1 on: Adam then leaves the weights where epoch 0 put them.
  const schedule = new LearningRateScheduler((epoch) => (epoch === 0 ? 0.05 : 0));
  const history = await fit(model, x, y, { ...quiet, epochs: 3, seed: 2, callbacks: [schedule, recorder] });
  t.deepEqual(history.history.lr, [0.05, 0, 0]);
  t.true(sameBits(recorder.epochs[1], recorder.epochs[0]));
  t.true(sameBits(recorder.epochs[2], recorder.epochs[0]));
});

test('LearningRateScheduler wraps the schedules module (StepLR): lr halves each epoch, same as in-process', async (t) => {
  const results = [];
  for (const mode of modes) {
    const { model, x, y, optimizer } = linearTask();
    const history = await fit(model, x, y, {
      ...quiet, ...mode.options, epochs: 4, seed: 3,
      callbacks: [new LearningRateScheduler(new schedules.StepLR(optimizer, { stepSize: 1, gamma: 0.5 }))],
    });
    t.deepEqual(history.history.lr, [0.05, 0.025, 0.0125, 0.00625]);
    t.is(optimizer.lr, 0.003125);
    results.push(snapshot(model));
  }
  t.true(sameBits(results[0], results[1]), 'worker and in-process training give the same weights');
});

test('ReduceLROnPlateau cuts the lr by factor after more than patience epochs without improvement', async (t) => {
  const { model, x, y } = linearTask();
  const plateau = new ReduceLROnPlateau({ monitor: 'score', factor: 0.5, patience: 1, minDelta: 0.01 });
  const history = await fit(model, x, y, {
    ...quiet, epochs: 6, seed: 1, callbacks: [scripted('score', [1.0, 0.995, 0.999, 0.5, 0.6, 0.7]), plateau],
  });
  // Bad epochs 1 and 2 (> patience 1): halve at epoch 2. Epoch 3 improves; 4 and 5 are bad: halve at 5.
  t.deepEqual(history.history.lr, [0.05, 0.05, 0.025, 0.025, 0.025, 0.0125]);
});

test('callbacks: hooks run in order with the logs; batch logs carry the batch size', async (t) => {
  const { model, x, y } = linearTask(1, 100);
  const events: string[] = [];
  const hooks = new LambdaCallback({
    onTrainBegin: () => { events.push('trainBegin'); },
    onEpochBegin: (e: number) => { events.push(`epochBegin ${e}`); },
    onBatchEnd: (b: number, logs: Logs) => { events.push(`batch ${b} ${logs.size} ${Number.isFinite(logs.loss)}`); },
    onEpochEnd: (e: number, logs: Logs) => { events.push(`epochEnd ${e} ${Object.keys(logs).sort().join(',')}`); },
    onTrainEnd: () => { events.push('trainEnd'); },
  });
  await fit(model, x, y, { ...quiet, epochs: 2, batchSize: 40, validationSplit: 0.2, seed: 1, callbacks: [hooks] });
  const epoch = (e: number) => [`epochBegin ${e}`, 'batch 0 40 true', 'batch 1 40 true', `epochEnd ${e} accuracy,loss,val_accuracy,val_loss`];
  t.deepEqual(events, ['trainBegin', ...epoch(0), ...epoch(1), 'trainEnd']);
});

for (const mode of modes) {
  test(`callbacks: stopTraining set in onBatchEnd ends the fit after the current epoch [${mode.name}]`, async (t) => {
    const { model, x, y } = linearTask(1, 2000);
    let batches = 0;
    class StopEarly extends Callback {
      onBatchEnd(): void {
        if (++batches === 3) this.context.stopTraining = true;
      }
    }
    const history = await fit(model, x, y, { ...quiet, ...mode.options, epochs: 5, batchSize: 10, seed: 1, callbacks: [new StopEarly()] });
    t.deepEqual(history.epoch, [0]);
    // In process the loop checks the flag before each batch; a worker sees it after the batches
    // it ran while the main thread was catching up with their reports.
    if (mode.name === 'in-process') t.is(batches, 3);
    else t.true(batches >= 3 && batches <= 200);
  });
}

for (const mode of modes) {
  test(`callbacks that change weights at an epoch end change what the next epoch trains [${mode.name}]`, async (t) => {
    const { model, x, y } = linearTask();
    const recorder = new WeightRecorder();
    const zero = new LambdaCallback({ onEpochEnd: (e: number) => { if (e === 0) for (const w of model.getWeights()) w.data.fill(0); } });
    await fit(model, x, y, { ...quiet, ...mode.options, epochs: 2, seed: 4, callbacks: [zero, recorder] });
    // Reference: start from zero weights and the optimizer state after epoch 0, train epoch 1 in process.
    const ref = linearTask();
    await fit(ref.model, x, y, { ...quiet, inProcess: true, epochs: 1, seed: 4 });
    for (const w of ref.model.getWeights()) w.data.fill(0);
    await fit(ref.model, x, y, { ...quiet, inProcess: true, epochs: 2, initialEpoch: 1, seed: 4 });
    t.true(sameBits(recorder.epochs[1], snapshot(ref.model)));
  });
}
