// Trains a small CNN in a worker thread while an HTTP server on the main thread keeps answering:
// GET / returns the training progress as JSON. Ctrl-C (or GET /stop) cancels training.
// Run: node --import tsx examples/train-in-background.ts   then   curl localhost:3000
import http from 'node:http';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, sequential, Tensor, training } from '../lib';

/** 8x8 images with one bright quadrant; the label is the quadrant. */
function quadrants(n: number): { x: Tensor; y: Int32Array } {
  const x = new Tensor(new Float32Array(n * 64), [n, 1, 8, 8]);
  const y = Int32Array.from({ length: n }, () => Math.floor(Math.random() * 4));
  for (let i = 0; i < n; i++) for (let p = 0; p < 64; p++) {
    const quadrant = Math.floor(p / 32) * 2 + Math.floor((p % 8) / 4);
    x.data[i * 64 + p] = Math.random() * 0.5 + (quadrant === y[i] ? 0.5 : 0);
  }
  return { x, y };
}

async function main(): Promise<void> {
  const { x, y } = quadrants(20000);
  const model = sequential([
    new Conv2D({ filters: 8, kernelSize: 3, padding: 'same' }), new ReLU(), new MaxPool2D({ poolSize: 2 }),
    new Flatten(), new Dense({ units: 4 }),
  ], { inputShape: [1, 8, 8], seed: 1 });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

  const status = { epoch: 0, batch: 0, logs: {} as training.Logs, done: false };
  const controller = new AbortController();
  const server = http.createServer((req, res) => {
    if (req.url === '/stop') controller.abort();
    res.setHeader('content-type', 'application/json');
    res.end(`${JSON.stringify(status)}\n`);
  });
  server.listen(3000, () => console.log('progress at http://localhost:3000 (GET /stop cancels)'));
  process.once('SIGINT', () => controller.abort());

  const progress = new training.LambdaCallback({
    onEpochBegin: (epoch: number) => { status.epoch = epoch; },
    onBatchEnd: (batch: number, logs: training.Logs) => { status.batch = batch; status.logs = logs; },
  });
  try {
    const history = await model.fit(x, y, { epochs: 10, batchSize: 64, validationSplit: 0.1, seed: 1, signal: controller.signal, callbacks: [progress] });
    console.log('final validation accuracy', history.history.val_accuracy.at(-1));
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error;
    console.log('training cancelled');
  } finally {
    status.done = true;
    server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
