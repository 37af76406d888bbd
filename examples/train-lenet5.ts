// Trains LeNet-5 on the bundled MNIST digits with the library API (what `convkit train` does,
// without the pictures). Training runs in a worker thread: the event loop stays free.
// Run: npx tsx examples/train-lenet5.ts
import { datasets, models, splitData, training } from '../lib';

async function main(): Promise<void> {
  const digits = datasets.loadDigits(); // x [10000, 1, 28, 28] in [0, 1], y Int32Array of labels
  const { train, validation, test } = splitData(digits.x, digits.y, { validation: 0.1, test: 0.1, stratify: true, seed: 1 });
  const model = models.lenet5({ dropout: 0.25, seed: 1 });
  model.summary();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(train.x, train.y, {
    epochs: 15, batchSize: 32, seed: 1, validationData: validation,
    callbacks: [
      new training.ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.3, patience: 1 }),
      new training.EarlyStopping({ monitor: 'val_loss', patience: 4, restoreBestWeights: true }),
    ],
  });
  const { accuracy } = await model.evaluate(test.x, test.y, { batchSize: 256 });
  console.log(`test accuracy ${(100 * Number(accuracy)).toFixed(2)}%`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
