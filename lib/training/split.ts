// splitData: train / validation / test sets, seeded, stratified by class.
import type { Tensor } from '../tensor';
import { checkDataset, classOf, numSamples, subset, type Dataset, type Targets } from './data';
import { mulberry32, permutation, randomSeed } from '../random';

export interface SplitOptions {
  /** Fractions of the samples; `train` defaults to what validation and test leave. */
  train?: number;
  validation?: number;
  test?: number;
  /**
   * Keep each class's share the same in every set (default: true when y holds class labels or
   * one-hot rows). Each class is then within one sample of its exact share in each set.
   */
  stratify?: boolean;
  seed?: number;
}

export interface Split {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
}

function fractions(options: SplitOptions): [number, number, number] {
  const validation = options.validation ?? 0, test = options.test ?? 0;
  const train = options.train ?? Math.max(0, 1 - validation - test);
  for (const [name, f] of [['validation', validation], ['test', test], ['train', train]] as const) {
    if (!(f >= 0 && f <= 1)) throw new RangeError(`splitData: ${name} fraction must be in [0, 1], got ${f}`);
  }
  if (train + validation + test > 1 + 1e-9) {
    throw new RangeError(`splitData: train + validation + test = ${train + validation + test} exceeds 1`);
  }
  return [train, validation, test];
}

/**
 * Sample order for cutting: with stratification, each class is shuffled and its samples spread
 * evenly (sample r of class c sits at (r + u) / count_c, u uniform), so any prefix of the order
 * holds every class in proportion; otherwise a plain seeded permutation.
 */
function cutOrder(labels: Int32Array | null, n: number, seed: number): Int32Array {
  if (!labels) return permutation(n, seed);
  const random = mulberry32(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const members = byClass.get(labels[i]);
    if (members) members.push(i); else byClass.set(labels[i], [i]);
  }
  const position = new Float64Array(n);
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(c)!;
    const order = permutation(members.length, Math.floor(random() * 4294967296));
    for (let r = 0; r < members.length; r++) position[members[order[r]]] = (r + random()) / members.length;
  }
  return permutation(n).sort((a, b) => position[a] - position[b] || a - b);
}

/** Splits (x, y) into train, validation and test sets; each keeps the original sample order. */
export function splitData(x: Tensor, y: Targets, options: SplitOptions = {}): Split {
  const data = checkDataset(x, y, 'splitData');
  const [trainF, validationF, testF] = fractions(options);
  const n = numSamples(x);
  const labels = options.stratify === false ? null : classOf(y);
  if (options.stratify === true && !labels) {
    throw new TypeError('splitData: stratify needs class labels (Int32Array) or one-hot targets [N, K]');
  }
  const order = cutOrder(labels, n, options.seed ?? randomSeed());
  const nTest = Math.round(n * testF), nValidation = Math.round(n * validationF);
  const nTrain = Math.min(n - nTest - nValidation, Math.round(n * trainF));
  const take = (start: number, count: number) => subset(data, order.slice(start, start + count).sort());
  return {
    test: take(0, nTest),
    validation: take(nTest, nValidation),
    train: take(nTest + nValidation, nTrain),
  };
}
