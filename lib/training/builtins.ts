// Registers what the training worker rebuilds by name: the Model class of the graph module and
// the optimizers. Losses and metrics resolve through losses.getLoss / metrics.getMetric.
import { Model, MODEL_CONFIG_FORMAT } from '../model';
import type { Parameter } from '../parameter';
import { Adadelta, Adagrad, Adam, AdamW, Momentum, Nesterov, RMSprop, SGD } from '../optimizers';
import { registerModelFactory, registerOptimizer } from './registry';

registerModelFactory((config) =>
  (config as { format?: unknown } | null)?.format === MODEL_CONFIG_FORMAT ? Model.fromConfig(config) : undefined);

const optimizerClasses = { SGD, Momentum, Nesterov, Adagrad, RMSprop, Adadelta, Adam, AdamW };
for (const [name, Class] of Object.entries(optimizerClasses)) {
  registerOptimizer(name, (options, params) => new Class(params as Parameter[], options));
}
