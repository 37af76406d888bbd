// Transfer learning on the bundled digits: a LeNet-5 trained on digits 0-4 only is frozen up to
// C5 (C1, S2, C3, S4 keep their weights), a new head (C5, F6, output) is trained on 50 examples
// per class of digits 5-9 from the frozen features, and compared with the same network trained
// from scratch on those 250 examples. Both few-shot trainings are repeated over a few seeds (one
// run is within a point of noise) and the mean accuracies compared. For comparison it also
// freezes C5 itself (new F6 and output only): C5's features, learnt to tell 0-4 apart, transfer
// worse than S4's, as Yosinski et al. (2014) found for the higher layers of ImageNet networks.
// Finally C3 is unfrozen and fine-tuned with a learning rate 10x smaller than the head's.
// Run: node --import tsx examples/transfer-digits.ts
import { Dense, Flatten, ReLU, Tensor, sequential, type Layer, type Model } from '../lib';
import { lenet5 } from '../lib/models/lenet5';
import { loadDigits } from '../lib/data/mnist';
import { subset, type Dataset } from '../lib/data/dataset';
import { Adam } from '../lib/optimizers';
import { compile, fit } from '../lib/training';
import { attachHead, featureExtractor, lrGroups, unfreeze } from '../lib/transfer';

export interface TransferDigitsOptions {
  /** Training images per class of digits 0-4 for the base network. */
  basePerClass?: number;
  baseEpochs?: number;
  /** Labelled examples per class of digits 5-9 (the few-shot set). */
  shots?: number;
  /** Epochs of the network trained from scratch on the few-shot set (more do not help it). */
  scratchEpochs?: number;
  /** Epochs of the heads on the extracted features (cheap: the features are computed once). */
  headEpochs?: number;
  /** Test images per class of digits 5-9. */
  testPerClass?: number;
  /** Seed of the base network. */
  seed?: number;
  /** Seeds of the few-shot trainings (heads and scratch networks), one run each. */
  fewShotSeeds?: number[];
  log?: (line: string) => void;
}

export interface TransferDigitsResult {
  /** Accuracy on held-out 0-4 digits of the base network. */
  base: number;
  /** Accuracies on held-out 5-9 digits per few-shot seed: C1-S4 frozen, new head C5-F6-output. */
  transfer: number[];
  /** ... C1-C5 frozen, new head F6-output. */
  transferFromC5: number[];
  /** ... LeNet-5 trained from scratch on the few-shot set. */
  scratch: number[];
  /** The first C1-S4 transfer model after fine-tuning C3 too (lr 1e-4, head 1e-3). */
  fineTuned: number;
  /** Largest change of a frozen weight while a transfer model trained end to end (0 when freezing works). */
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
  const logits = await model.predict(data.x, { batchSize: 256, inProcess: true });
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
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
export const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const summary = (v: number[]) => `${pct(mean(v))} (${v.map(pct).join(', ')})`;

/** Head layers after C1-S4 (a new C5, F6 and output) or after C1-C5 (new F6 and output). */
function newHead(after: 'pool2' | 'c5', classes: number): Layer[] {
  const relu = (name: string) => new ReLU({ name });
  const c5 = after === 'pool2' ? [new Dense({ units: 120, name: 'head_c5' })] : [];
  return [new Flatten({ name: 'head_flatten' }), ...c5, relu('head_c5_relu'), new Dense({ units: 84, name: 'head_f6' }), relu('head_f6_relu'), new Dense({ units: classes, name: 'head_out' })];
}

/**
 * Freezes `base` up to `layer`, extracts the features of the few-shot set once, and for each seed
 * trains a new head on them and joins it to the base: the transfer models, in seed order.
 */
async function transferModels(base: Model, layer: 'pool2' | 'c5', few: Dataset, epochs: number, seeds: number[]): Promise<Model[]> {
  const extractor = featureExtractor(base, layer);
  const features = await extractor.predict(few.x, { batchSize: 256, inProcess: true });
  const nets: Model[] = [];
  for (const seed of seeds) {
    const head = sequential(newHead(layer, 5), { inputShape: extractor.outputShape, name: `head_after_${layer}`, seed });
    await train(head, features, few.y, epochs, seed);
    nets.push(attachHead(extractor, head, { name: `transfer_${layer}_${seed}` }));
  }
  return nets;
}

export async function transferDigits(options: TransferDigitsOptions = {}): Promise<TransferDigitsResult> {
  const { basePerClass = 900, baseEpochs = 10, shots = 50, scratchEpochs = 40, headEpochs = 100, testPerClass = 400, seed = 1, fewShotSeeds = [1, 2, 3], log = console.log } = options;
  const digits = loadDigits();
  const first = [0, 1, 2, 3, 4];
  const second = [5, 6, 7, 8, 9];
  const baseTrain = pick(digits, first, 0, basePerClass);
  const baseTest = pick(digits, first, basePerClass, Math.min(testPerClass, 80));
  const few = pick(digits, second, 0, shots);
  const test = pick(digits, second, shots, testPerClass);
  const accuracies = (models: Model[]) => Promise.all(models.map((m) => accuracy(m, test)));

  const base = lenet5({ numClasses: 5, seed });
  await train(base, baseTrain.x, baseTrain.y, baseEpochs, seed);
  const baseAccuracy = await accuracy(base, baseTest);
  log(`base LeNet-5 trained on digits 0-4 (${baseTrain.y.length} images): ${pct(baseAccuracy)} on held-out 0-4`);
  log(`few-shot set: ${shots} examples per class of digits 5-9; accuracies on ${test.y.length} held-out 5-9 digits, mean (per seed ${fewShotSeeds.join(', ')}):`);

  const fromS4 = await transferModels(base, 'pool2', few, headEpochs, fewShotSeeds);
  const transfer = await accuracies(fromS4);
  log(`  frozen C1-S4 + new C5-F6-output head:  ${summary(transfer)}`);
  const transferFromC5 = await accuracies(await transferModels(base, 'c5', few, headEpochs, fewShotSeeds));
  log(`  frozen C1-C5 + new F6-output head:     ${summary(transferFromC5)}`);

  const scratch: number[] = [];
  for (const s of fewShotSeeds) {
    const net = lenet5({ numClasses: 5, seed: s });
    await train(net, few.x, few.y, scratchEpochs, s);
    scratch.push(await accuracy(net, test));
  }
  log(`  LeNet-5 from scratch (${scratchEpochs} epochs):      ${summary(scratch)}`);

  // End to end with the base frozen, then fine-tuning C3 at a tenth of the head's learning rate.
  const net = fromS4[0];
  const frozenBefore = base.getWeights();
  await train(net, few.x, few.y, 2, fewShotSeeds[0]);
  const frozenChange = maxChange(frozenBefore.slice(0, 4), base.getWeights().slice(0, 4));
  unfreeze(net, { from: 'conv2' });
  await train(net, few.x, few.y, 5, fewShotSeeds[0], new Adam(lrGroups(net, { from: 'conv2', to: 'pool2', lr: 1e-4 }, 1e-3)));
  const fineTuned = await accuracy(net, test);
  log(`  the first transfer model after fine-tuning C3 too (lr 1e-4): ${pct(fineTuned)}`);
  return { base: baseAccuracy, transfer, transferFromC5, scratch, fineTuned, frozenChange };
}

if (require.main === module) {
  transferDigits().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
