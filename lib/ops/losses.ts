// Losses returning the mean loss and its gradient with respect to the input. Reductions run in
// a fixed order with double accumulators: the loss does not depend on the thread count.
import { binding } from '../native';
import { Tensor, formatShape } from '../tensor';
import { checkShape, checkTensor, output } from './elementwise-checks';

export interface LossResult {
  /** Mean loss. */
  loss: number;
  /** dL/d(input), same shape as the input. */
  grad: Tensor;
}

type Rows<L> = (N: number, K: number, logits: Float32Array, labels: L, grad: Float32Array) => number;
type Elementwise = (x: Float32Array, target: Float32Array, grad: Float32Array) => number;
const nativeCeLabels = binding<Rows<Int32Array>>('softmaxCrossEntropyLabels');
const nativeCeTargets = binding<Rows<Float32Array>>('softmaxCrossEntropyTargets');
const nativeBce = binding<Elementwise>('binaryCrossEntropyLogits');
const nativeMse = binding<Elementwise>('meanSquaredError');

/**
 * Softmax followed by cross-entropy, fused: loss = mean over N of -log softmax(logits)[label],
 * grad = (softmax(logits) - onehot) / N. `labels` are class indices (Int32Array [N], each in
 * [0, K): anything else is a RangeError naming the index) or target probabilities [N, K]
 * (one-hot or soft: loss = mean -sum t log softmax, grad = (softmax sum t - t) / N).
 * `grad` may be preallocated (or be `logits` itself, to overwrite it).
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Int32Array | Tensor, grad?: Tensor): LossResult {
  const op = 'softmaxCrossEntropy';
  checkTensor(op, 'logits', logits);
  if (logits.rank !== 2) throw new RangeError(`${op}: logits has shape ${formatShape(logits.shape)}, expected [N, K]`);
  const [N, K] = logits.shape;
  const g = output(op, 'grad', grad, logits.shape, 'the shape of logits');
  if (labels instanceof Int32Array) {
    if (labels.length !== N) {
      throw new RangeError(`${op}: labels has ${labels.length} entries, expected N = ${N} (logits ${formatShape(logits.shape)})`);
    }
    return { loss: N * K === 0 ? NaN : nativeCeLabels(N, K, logits.data, labels, g.data), grad: g };
  }
  if (!(labels instanceof Tensor)) throw new TypeError(`${op}: labels must be an Int32Array of class indices or a Tensor [N, K]`);
  checkShape(op, 'labels', labels, logits.shape, 'the shape of logits');
  return { loss: N * K === 0 ? NaN : nativeCeTargets(N, K, logits.data, labels.data, g.data), grad: g };
}

function elementwiseLoss(op: string, native: Elementwise, xName: string, x: Tensor, target: Tensor, grad?: Tensor): LossResult {
  checkTensor(op, xName, x);
  checkShape(op, 'target', target, x.shape, `the shape of ${xName}`);
  const g = output(op, 'grad', grad, x.shape, `the shape of ${xName}`);
  return { loss: x.size === 0 ? NaN : native(x.data, target.data, g.data), grad: g };
}

/**
 * Binary cross-entropy on logits (sigmoid fused, stable for any logit including +-Infinity):
 * loss = mean of max(x, 0) - x t + log(1 + e^-|x|), grad = (sigmoid(x) - t) / size.
 */
export function binaryCrossEntropy(logits: Tensor, targets: Tensor, grad?: Tensor): LossResult {
  return elementwiseLoss('binaryCrossEntropy', nativeBce, 'logits', logits, targets, grad);
}

/** Mean squared error: loss = mean (pred - target)^2, grad = 2 (pred - target) / size. */
export function mse(pred: Tensor, target: Tensor, grad?: Tensor): LossResult {
  return elementwiseLoss('mse', nativeMse, 'pred', pred, target, grad);
}
