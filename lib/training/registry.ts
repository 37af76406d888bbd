// Names the training worker resolves to objects: everything a worker rebuilds must be
// reachable by name (or config) because functions and class instances cannot cross threads.
// A fit option `workerSetup` names a module the worker imports first, which may register more.
import { getLoss } from '../losses';
import { getMetric } from '../metrics';
import type { Parameter } from '../parameter';
import type { Loss, Metric, Optimizer, TrainableModel } from './types';

export type ModelFactory = (config: unknown) => TrainableModel;
/** Parameters, or parameter groups, as the optimizers' constructors take them. */
export type OptimizerParams = Parameter[] | { params: Parameter[] }[];
/** Builds an optimizer over `params` with constructor options (defaults for the rest). */
export type OptimizerFactory = (options: Record<string, unknown>, params: OptimizerParams) => Optimizer;

const registry = {
  models: [] as ModelFactory[],
  optimizers: new Map<string, OptimizerFactory>(),
  losses: new Map<string, () => Loss>(),
  metrics: new Map<string, () => Metric>(),
};

/** Lower case without separators: 'sparse_categorical_crossentropy' = 'sparseCategoricalCrossentropy'. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, '');
}

/**
 * Adds a way to rebuild a model from its toConfig() output in a worker. Factories are tried
 * newest first; one returns undefined when the config is not its kind.
 */
export function registerModelFactory(factory: (config: unknown) => TrainableModel | undefined): void {
  registry.models.unshift(factory as ModelFactory);
}

export function registerOptimizer(name: string, factory: OptimizerFactory): void {
  registry.optimizers.set(normalizeName(name), factory);
}

export function registerLoss(name: string, factory: () => Loss): void {
  registry.losses.set(normalizeName(name), factory);
}

export function registerMetric(name: string, factory: () => Metric): void {
  registry.metrics.set(normalizeName(name), factory);
}

function known(map: Map<string, unknown>): string {
  return [...map.keys()].join(', ');
}

export function modelFromConfig(config: unknown): TrainableModel {
  for (const factory of registry.models) {
    const model = factory(config);
    if (model) return model;
  }
  throw new Error('convkit: no model factory accepts this config: a worker rebuilds custom models from a ' +
    'registerModelFactory call in a workerSetup module (or train with inProcess: true)');
}

export function createOptimizer(name: string, params: OptimizerParams, options: Record<string, unknown> = {}): Optimizer {
  const factory = registry.optimizers.get(normalizeName(name));
  if (!factory) throw new RangeError(`unknown optimizer '${name}' (known: ${known(registry.optimizers)})`);
  return factory(options, params);
}

/** A registered loss, else one of the losses module (getLoss). */
export function createLoss(name: string): Loss {
  const factory = registry.losses.get(normalizeName(name));
  return factory ? factory() : getLoss(name);
}

/** A registered metric, else one of the metrics module (getMetric). */
export function createMetric(name: string): Metric {
  const factory = registry.metrics.get(normalizeName(name));
  return factory ? factory() : getMetric(name);
}
