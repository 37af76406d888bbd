// Trains LeNet-5 on the bundled MNIST digits with the library API (what `convkit train` does,
// without the pictures), then classifies a few test digits.
// Run: node --import tsx examples/train-lenet5.ts
import { lenet5 } from '../lib/models/lenet5';
import { loadDigits } from '../lib/data/mnist';
import { Adam } from '../lib/optimizers';
import { softmaxCrossEntropy } from '../lib/ops/losses';
import { compile, EarlyStopping, evaluate, fit, ReduceLROnPlateau, splitData } from '../lib/training';

async function main(): Promise<void> {
  const digits = loadDigits(); // x [10000, 1, 28, 28] in [0, 1], y Int32Array
  const { train, validation, test } = splitData(digits.x, digits.y, { validation: 0.1, test: 0.1, stratify: true, seed: 1 });
  const model = lenet5({ dropout: 0.25, seed: 1 });
  model.summary();
  compile(model, {
    optimizer: new Adam(model.parameters(), { lr: 2e-3 }),
    loss: { name: 'softmaxCrossEntropy', compute: (logits, labels) => softmaxCrossEntropy(logits, labels) },
    metrics: ['accuracy'],
  });
  await fit(model, train.x, train.y, {
    epochs: 15, batchSize: 32, seed: 1, inProcess: true, validationData: validation,
    callbacks: [
      new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.3, patience: 1 }),
      new EarlyStopping({ monitor: 'val_loss', patience: 4, restoreBestWeights: true }),
    ],
  });
  const { accuracy } = await evaluate(model, test.x, test.y, { inProcess: true, batchSize: 256 });
  console.log(`test accuracy ${(100 * accuracy).toFixed(2)}%`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
