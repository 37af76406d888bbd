// Event-loop delay on the main thread while fitting LeNet-5 (worker mode, then in-process mode):
// perf_hooks.monitorEventLoopDelay percentiles, and setInterval ticks against elapsed time.
// Run: node --import tsx bench/event-loop.ts [samples] [epochs]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import '../lib';
import { lenet5, randomImages } from '../test/helpers/lenet';

async function measure(inProcess: boolean, samples: number, epochs: number) {
  const { x, y } = randomImages(samples, 1);
  const model = lenet5();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  histogram.enable();
  const start = performance.now();
  await model.fit(x, y, { epochs, batchSize: 32, seed: 1, verbose: 0, inProcess });
  const elapsed = performance.now() - start;
  histogram.disable();
  clearInterval(timer);
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  console.log(`${inProcess ? 'in-process' : 'worker    '}: ${samples * epochs} samples in ${elapsed.toFixed(0)} ms; ` +
    `event-loop delay p50 ${ms(histogram.percentile(50))} ms, p99 ${ms(histogram.percentile(99))} ms, max ${ms(histogram.max)} ms; ` +
    `10 ms interval ticks ${ticks} of ${Math.floor(elapsed / 10)} expected`);
}

async function main() {
  const samples = Number(process.argv[2] ?? 2048), epochs = Number(process.argv[3] ?? 2);
  await measure(false, samples, epochs);
  await measure(true, samples, epochs);
}

void main();
