// Classification metrics. Predictions are scores [N, K] (logits or probabilities: only their
// order matters) or, for K = 1, binary logits (positive when > 0). Targets are Int32Array class
// labels [N] or a Tensor: one-hot / probability rows [N, K] (their argmax is the class), or
// [N, 1] / [N] binary targets in {0, 1}.
import { Tensor, formatShape } from './tensor';

export type Targets = Tensor | Int32Array;

function classes(prediction: Tensor): { N: number; K: number } {
  if (!(prediction instanceof Tensor) || prediction.rank < 1 || prediction.rank > 2) {
    throw new RangeError(`metrics need predictions [N, K] or [N], got ${prediction instanceof Tensor ? formatShape(prediction.shape) : typeof prediction}`);
  }
  return { N: prediction.shape[0], K: prediction.rank === 2 ? prediction.shape[1] : 1 };
}

function argmax(data: Float32Array, offset: number, K: number): number {
  let best = 0;
  for (let k = 1; k < K; k++) if (data[offset + k] > data[offset + best]) best = k;
  return best;
}

/** The class of sample n of `target` (validated against N and K). */
function labelReader(target: Targets, N: number, K: number): (n: number) => number {
  const classCount = Math.max(K, 2);
  if (target instanceof Int32Array) {
    if (target.length !== N) throw new RangeError(`metrics: ${target.length} labels for ${N} predictions`);
    return (n) => {
      const c = target[n];
      if (!(c >= 0 && c < classCount)) throw new RangeError(`metrics: label ${c} of sample ${n} is outside [0, ${classCount})`);
      return c;
    };
  }
  if (!(target instanceof Tensor) || target.shape[0] !== N || target.size !== N * K) {
    throw new RangeError(`metrics: target must be labels [${N}] or a Tensor [${N}, ${K}], got ${target instanceof Tensor ? formatShape(target.shape) : typeof target}`);
  }
  return K === 1 ? (n) => (target.data[n] > 0.5 ? 1 : 0) : (n) => argmax(target.data, n * K, K);
}

function predictedClass(prediction: Tensor, K: number): (n: number) => number {
  return K === 1 ? (n) => (prediction.data[n] > 0 ? 1 : 0) : (n) => argmax(prediction.data, n * K, K);
}

/** Fraction of samples whose predicted class (argmax, or logit > 0 for K = 1) is the target's. */
export function accuracy(prediction: Tensor, target: Targets): number {
  const { N, K } = classes(prediction);
  const label = labelReader(target, N, K);
  const predicted = predictedClass(prediction, K);
  let correct = 0;
  for (let n = 0; n < N; n++) if (predicted(n) === label(n)) correct++;
  return N === 0 ? 0 : correct / N;
}

/** Fraction of samples whose target class is among the k highest scores (ties count as hits, like tf.math.in_top_k). */
export function topKAccuracy(prediction: Tensor, target: Targets, k = 5): number {
  const { N, K } = classes(prediction);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`topKAccuracy: k must be an integer >= 1, got ${k}`);
  if (K < 2) throw new RangeError(`topKAccuracy needs predictions [N, K] with K >= 2, got ${formatShape(prediction.shape)}`);
  const label = labelReader(target, N, K);
  let hits = 0;
  for (let n = 0; n < N; n++) {
    const score = prediction.data[n * K + label(n)];
    let above = 0;
    for (let j = 0; j < K; j++) if (prediction.data[n * K + j] > score) above++;
    if (above < k) hits++;
  }
  return N === 0 ? 0 : hits / N;
}

/** matrix[t][p] = number of samples of true class t predicted as p. */
export function confusionMatrix(prediction: Tensor, target: Targets): number[][] {
  const { N, K } = classes(prediction);
  const C = Math.max(K, 2);
  const label = labelReader(target, N, K);
  const predicted = predictedClass(prediction, K);
  const matrix = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let n = 0; n < N; n++) matrix[label(n)][predicted(n)]++;
  return matrix;
}

/** A metric for the training loop: compute() is the mean over a batch. */
export interface Metric {
  readonly name: string;
  compute(prediction: Tensor, target: Targets): number;
}

const builtins: Record<string, () => Metric> = {
  accuracy: () => ({ name: 'accuracy', compute: accuracy }),
  acc: () => ({ name: 'accuracy', compute: accuracy }),
};

/** topK(k): the metric named `top${k}Accuracy`. */
export function topK(k: number): Metric {
  return { name: `top${k}Accuracy`, compute: (p, t) => topKAccuracy(p, t, k) };
}

/** A metric by name ('accuracy', 'top5Accuracy', 'topKAccuracy' with any k written in) or itself. */
export function getMetric(id: string | Metric): Metric {
  if (typeof id !== 'string') {
    if (id && typeof id.name === 'string' && typeof id.compute === 'function') return id;
    throw new TypeError(`a metric is a name or {name, compute(prediction, target)}, got ${typeof id}`);
  }
  const key = id.replace(/[_\s-]/g, '').toLowerCase();
  const topMatch = /^top(\d+)(accuracy|acc)$/.exec(key);
  if (topMatch) return topK(Number(topMatch[1]));
  if (Object.hasOwn(builtins, key)) return builtins[key]();
  throw new RangeError(`unknown metric '${id}'; known: accuracy, top<k>Accuracy`);
}
