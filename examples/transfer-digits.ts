// Transfer learning on the bundled digits: a LeNet-5 trained on digits 0-4 only, frozen up to
// C5, gets a new head trained on a few examples (50 per class) of digits 5-9, and beats the same
// network trained from scratch on those few examples. Then the top of the base (C5) is unfrozen
// and fine-tuned with a 10x smaller learning rate than the head.
// Run: node --import tsx examples/transfer-digits.ts
import { Dense, Flatten, ReLU, Tensor, sequential, type Model } from '../lib';
import { lenet5 } from '../lib/models/lenet5';
import { loadDigits } from '../lib/data/mnist';
import { subset, type Dataset } from '../lib/data/dataset';
import { Adam } from '../lib/optimizers';
import { compile, fit, predict } from '../lib/training';
import { attachHead, featureExtractor, lrGroups, unfreeze } from '../lib/transfer';

export interface TransferDigitsOptions {
  /** Training images per class of digits 0-4 for the base network. */
  basePerClass?: number;
  baseEpochs?: number;
  /** Labelled examples per class of digits 5-9 (the few-shot set). */
  shots?: number;
  /** Epochs on the few-shot set (head, scratch network). */
  fewShotEpochs?: number;
  /** Test images per class of digits 5-9. */
  testPerClass?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface TransferDigitsResult {
  /** Accuracy on the held-out 5-9 digits of the frozen base + new head. */
  transfer: number;
  /** ... after fine-tuning C5 too. */
  fineTuned: number;
  /** ... of LeNet-5 trained from scratch on the few-shot set. */
  scratch: number;
  /** Accuracy of the base network on held-out 0-4 digits. */
  base: number;
  /** Largest change of a frozen weight while the head trained (0 if freezing works). */
  frozenChange: number;
}

/** Images of `digits` (relabelled 0..k-1 in that order), `count` per class after skipping `skip` of each. */
function pick(data: Dataset, digits: number[], skip: number, count: number): Dataset {
  const indices: number[] = [];
  for (const d of digits) {
    const mine = [...data.y.keys()].filter((i) => data.y[i] === d);
    if (mine.length < skip + count) throw new RangeError(`only ${mine.length} images of digit ${d}, need ${skip + count}`);
    indices.push(...mine.slice(skip, skip + count));
  }
  const s = subset(data, indices);
  s.y = s.y.map((label) => digits.indexOf(label));
  return s;
}

async function accuracy(model: Model, data: Dataset): Promise<number> {
  const logits = await predict(model, data.x, { batchSize: 256, inProcess: true });
  const K = logits.shape[1];
  let correct = 0;
  for (let n = 0; n < data.y.length; n++) {
    const row = logits.data.subarray(n * K, (n + 1) * K);
    if (row.indexOf(Math.max(...row)) === data.y[n]) correct++;
  }
  return correct / data.y.length;
}

async function train(model: Model, x: Tensor, y: Int32Array, epochs: number, seed: number, optimizer = new Adam(model.parameters(), { lr: 1e-3 })): Promise<void> {
  compile(model, { optimizer, loss: 'softmaxCrossEntropy' });
  await fit(model, x, y, { epochs, batchSize: 25, seed, inProcess: true, verbose: 0 });
}

const maxChange = (before: Tensor[], after: Tensor[]) => Math.max(...before.map((w, i) => Math.max(...w.data.map((v, k) => Math.abs(v - after[i].data[k])))));

export async function transferDigits(options: TransferDigitsOptions = {}): Promise<TransferDigitsResult> {
  const { basePerClass = 600, baseEpochs = 3, shots = 50, fewShotEpochs = 40, testPerClass = 300, seed = 1, log = console.log } = options;
  const digits = loadDigits();
  const first = [0, 1, 2, 3, 4];
  const second = [5, 6, 7, 8, 9];
  const baseTrain = pick(digits, first, 0, basePerClass);
  const baseTest = pick(digits, first, basePerClass, testPerClass);
  const few = pick(digits, second, 0, shots);
  const test = pick(digits, second, shots, testPerClass);

  const base = lenet5({ numClasses: 5, seed });
  await train(base, baseTrain.x, baseTrain.y, baseEpochs, seed);
  const baseAccuracy = await accuracy(base, baseTest);
  log(`base LeNet-5 on digits 0-4 (${baseTrain.y.length} images): ${(100 * baseAccuracy).toFixed(1)}% on held-out 0-4`);

  // The base up to C5, frozen; features of the few-shot set computed once, a small head trained on them.
  const extractor = featureExtractor(base, 'c5');
  const frozenBefore = extractor.getWeights();
  const features = await predict(extractor, few.x, { batchSize: 256, inProcess: true });
  const head = sequential(
    [new Flatten({ name: 'head_flatten' }), new ReLU({ name: 'head_relu' }), new Dense({ units: 84, name: 'head_fc' }), new ReLU({ name: 'head_fc_relu' }), new Dense({ units: 5, name: 'head_out' })],
    { inputShape: extractor.outputShape, name: 'head', seed },
  );
  // F6 of the new head starts from the base's F6 (a head reuses what it can); the output layer is new.
  head.getLayer('head_fc').setWeights(base.getLayer('f6').getWeights());
  await train(head, features, few.y, fewShotEpochs, seed);
  const net = attachHead(extractor, head, { name: 'transfer' });
  // A few epochs end to end with the base still frozen: its weights must not move.
  await train(net, few.x, few.y, 2, seed);
  const frozenChange = maxChange(frozenBefore, extractor.getWeights());
  const transfer = await accuracy(net, test);
  log(`frozen base up to C5 + new head on ${shots} examples per class of 5-9: ${(100 * transfer).toFixed(1)}% on held-out 5-9`);

  // Fine-tuning: C5 trainable again, at a tenth of the head's learning rate.
  unfreeze(net, { from: 'c5' });
  await train(net, few.x, few.y, 5, seed, new Adam(lrGroups(net, { from: 'c5', to: 'c5', lr: 1e-4 }, 1e-3)));
  const fineTuned = await accuracy(net, test);
  log(`after fine-tuning C5 with lr 1e-4: ${(100 * fineTuned).toFixed(1)}%`);

  const scratch = lenet5({ numClasses: 5, seed });
  await train(scratch, few.x, few.y, fewShotEpochs, seed);
  const scratchAccuracy = await accuracy(scratch, test);
  log(`same LeNet-5 trained from scratch on the ${shots * 5} examples: ${(100 * scratchAccuracy).toFixed(1)}%`);
  return { transfer, fineTuned, scratch: scratchAccuracy, base: baseAccuracy, frozenChange };
}

if (require.main === module) {
  transferDigits().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
