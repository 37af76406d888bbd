// Registers the built-in metrics (and, from the graph and optim modules, losses, optimizers and
// the model factory) under the names compile accepts.
import type { Parameter } from '../parameter';
import { Tensor } from '../tensor';
import { Adadelta, Adagrad, Adam, AdamW, Momentum, Nesterov, RMSprop, SGD } from '../optimizers';
import type { Targets } from './data';
import { registerMetric, registerOptimizer } from './registry';
import type { Metric } from './types';

function argmaxRow(data: Float32Array, offset: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (data[offset + j] > data[offset + best]) best = j;
  return best;
}

/**
 * Fraction of samples classified right. Outputs [N, K>1]: argmax against a label or one-hot row.
 * One output per sample ([N] or [N, 1], logits): positive means class 1, target > 0.5 means class 1.
 */
export function accuracy(prediction: Tensor, target: Targets): number {
  const n = prediction.shape[0];
  if (!n) return 0;
  const k = prediction.size / n;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let truth: number, guess: number;
    if (k === 1) {
      guess = prediction.data[i] > 0 ? 1 : 0;
      truth = (target instanceof Tensor ? target.data[i] : target[i]) > 0.5 ? 1 : 0;
    } else {
      guess = argmaxRow(prediction.data, i * k, k);
      truth = target instanceof Tensor ? argmaxRow(target.data, i * k, k) : target[i];
    }
    if (guess === truth) correct++;
  }
  return correct / n;
}

const accuracyMetric = (): Metric => ({ name: 'accuracy', compute: accuracy });
registerMetric('accuracy', accuracyMetric);
registerMetric('acc', accuracyMetric);

const optimizerClasses = { SGD, Momentum, Nesterov, Adagrad, RMSprop, Adadelta, Adam, AdamW };
for (const [name, Class] of Object.entries(optimizerClasses)) {
  registerOptimizer(name, (options, params) => new Class(params as Parameter[], options));
}
