// The event loop stays free while training: timers keep firing during fit.
import test from 'ava';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import '../lib';
import { LambdaCallback } from '../lib/training';
import { lenet5, randomImages } from './helpers/lenet';

const { x, y } = randomImages(1024, 1);

function compiledLenet() {
  const model = lenet5();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

test.serial('worker mode: a 10 ms interval keeps ticking while LeNet-5 trains (at least half the expected ticks)', async (t) => {
  const model = compiledLenet();
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  histogram.enable();
  const start = performance.now();
  await model.fit(x, y, { epochs: 2, batchSize: 32, seed: 1, verbose: 0 });
  const elapsed = performance.now() - start;
  histogram.disable();
  clearInterval(timer);
  const expected = Math.floor(elapsed / 10);
  t.log(`${elapsed.toFixed(0)} ms, ${ticks}/${expected} ticks, event-loop delay p99 ${(histogram.percentile(99) / 1e6).toFixed(1)} ms, max ${(histogram.max / 1e6).toFixed(1)} ms`);
  t.true(ticks >= expected / 2, `${ticks} ticks in ${elapsed.toFixed(0)} ms`);
});

test.serial('in-process mode yields to the event loop between batches', async (t) => {
  const model = compiledLenet();
  let ticks = 0, batches = 0;
  const timer = setInterval(() => ticks++, 1);
  const counter = new LambdaCallback({ onBatchEnd: () => { batches++; } });
  await model.fit(x, y, { epochs: 1, batchSize: 32, seed: 1, verbose: 0, inProcess: true, callbacks: [counter] });
  clearInterval(timer);
  t.is(batches, 32);
  // Each LeNet-5 batch of 32 takes well over 1 ms, so the timer is due at every yield.
  t.true(ticks >= batches / 2, `${ticks} ticks over ${batches} batches`);
});
