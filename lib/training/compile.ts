// compile: binds an optimizer, a loss, metrics and a model-wide regularizer to a model.
import type { Parameter, Penalty } from '../parameter';
import { applyRegularizer } from '../regularizers';
import { createLoss, createMetric, createOptimizer, type OptimizerParams } from './registry';
import type { Loss, Metric, Optimizer, TrainableModel } from './types';

export interface CompileOptions {
  /** An optimizer instance, or a name ('sgd', 'adam', ...) for one with default settings. */
  optimizer: Optimizer | string;
  /** A name ('softmaxCrossEntropy', 'sparseCategoricalCrossentropy', 'binaryCrossentropy', 'mse', ...) or a loss object. */
  loss: Loss | string;
  metrics?: (Metric | string)[];
  /**
   * Penalty on every weight that is not a bias or another per-channel vector (regularizers.isBias),
   * added to each layer's own; its term is part of the reported loss. A regularizer
   * (regularizers.l1(), l2(), elasticNet()) or its coefficients {l1?, l2?}.
   */
  regularizer?: { penalty: Readonly<Penalty> } | Partial<Penalty> | null;
}

/** What a worker needs to rebuild the compiled objects: names and plain values only. */
export interface CompiledSpec {
  /** Class name, constructor options, and parameter groups as indices into model.parameters(). */
  optimizer: { name: string; options: Record<string, unknown>; groups: number[][] | null };
  loss: string;
  metrics: string[];
  regularizer: Penalty | null;
}

export interface Compiled {
  optimizer: Optimizer;
  loss: Loss;
  metrics: Metric[];
  regularizer: Penalty | null;
}

const compiledModels = new WeakMap<TrainableModel, Compiled>();

function checkPenalty(option: CompileOptions['regularizer']): Penalty | null {
  if (!option) return null;
  const r: Partial<Penalty> = 'penalty' in option ? option.penalty : option;
  const penalty = { l1: r.l1 ?? 0, l2: r.l2 ?? 0 };
  for (const [k, v] of Object.entries(penalty)) {
    if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`compile: regularizer ${k} must be a finite number >= 0, got ${v}`);
  }
  return penalty.l1 || penalty.l2 ? penalty : null;
}

function isObjective(v: unknown): v is { name: string; compute: unknown } {
  return typeof v === 'object' && v !== null && typeof (v as { compute?: unknown }).compute === 'function';
}

export function compile(model: TrainableModel, options: CompileOptions): Compiled {
  if (!options || typeof options !== 'object') throw new TypeError('compile: options {optimizer, loss, metrics?} are required');
  const { optimizer: opt, loss: lossOption, metrics: metricOptions = [] } = options;
  const optimizer = typeof opt === 'string' ? createOptimizer(opt, model.parameters()) : opt;
  if (!optimizer || typeof optimizer.step !== 'function') throw new TypeError('compile: optimizer must be an optimizer or a name such as "adam"');
  const loss = isObjective(lossOption) ? lossOption : typeof lossOption === 'string' ? createLoss(lossOption) : null;
  if (!loss) throw new TypeError('compile: loss must be a loss name such as "softmaxCrossEntropy" or a loss object');
  if (!Array.isArray(metricOptions)) throw new TypeError('compile: metrics must be an array');
  const metrics = metricOptions.map((m) => (typeof m === 'string' ? createMetric(m) : m));
  const regularizer = checkPenalty(options.regularizer);
  applyRegularizer(model.parameters(), regularizer);
  const compiled = { optimizer, loss, metrics, regularizer };
  compiledModels.set(model, compiled);
  return compiled;
}

export function compiledOf(model: TrainableModel, what: string): Compiled {
  const compiled = compiledModels.get(model);
  if (!compiled) throw new Error(`${what}: compile the model first (model.compile({optimizer, loss}))`);
  return compiled;
}

type OptimizerLike = Optimizer & {
  name?: string;
  paramGroups?: { params: Parameter[] }[];
  clipNorm?: number | null;
  clipValue?: number | null;
  skipNonFinite?: boolean;
  checkFinite?: boolean;
  getConfig?: () => Record<string, unknown>;
};

/**
 * How to rebuild the optimizer over another copy of the model: its class, its optimizer-wide
 * options and its parameter groups. Group hyper-parameters (lr, betas, ...) travel in its state.
 */
function optimizerSpec(optimizer: OptimizerLike, params: Parameter[]): CompiledSpec['optimizer'] {
  const name = optimizer.name ?? optimizer.constructor.name;
  if (!optimizer.paramGroups) return { name, options: { ...optimizer.getConfig?.(), lr: optimizer.lr }, groups: null };
  const groups = optimizer.paramGroups.map((g) => g.params.map((p) => params.indexOf(p)));
  if (groups.some((g) => g.includes(-1))) throw new RangeError(`${name} holds parameters that are not the model's`);
  const { clipNorm, clipValue, skipNonFinite, checkFinite } = optimizer;
  return { name, options: { clipNorm, clipValue, skipNonFinite, checkFinite }, groups };
}

export function specOf(model: TrainableModel, compiled: Compiled): CompiledSpec {
  return {
    optimizer: optimizerSpec(compiled.optimizer, model.parameters()),
    loss: compiled.loss.name,
    metrics: compiled.metrics.map((m) => m.name),
    regularizer: compiled.regularizer,
  };
}

/** Rebuilds compiled objects in a worker; the names must resolve through the registry there. */
export function compileFromSpec(model: TrainableModel, spec: CompiledSpec): Compiled {
  const params = model.parameters();
  const { name, options, groups } = spec.optimizer;
  const optimizerParams: OptimizerParams = groups ? groups.map((g) => ({ params: g.map((i) => params[i]) })) : params;
  return compile(model, {
    optimizer: createOptimizer(name, optimizerParams, options),
    loss: spec.loss,
    metrics: spec.metrics,
    regularizer: spec.regularizer,
  });
}
