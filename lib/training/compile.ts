// compile: binds an optimizer, a loss, metrics and a model-wide regularizer to a model.
import type { Parameter, Penalty } from '../parameter';
import { createLoss, createMetric, createOptimizer } from './registry';
import type { Loss, Metric, Optimizer, TrainableModel } from './types';

export interface CompileOptions {
  /** An optimizer instance, or a name ('sgd', 'adam', ...) for one with default settings. */
  optimizer: Optimizer | string;
  /** A name ('softmaxCrossEntropy', 'sparseCategoricalCrossentropy', 'binaryCrossentropy', 'mse', ...) or a loss object. */
  loss: Loss | string;
  metrics?: (Metric | string)[];
  /**
   * Penalty on every weight that is not a bias or another per-channel vector (rank >= 2), added to
   * each layer's own; its term is part of the reported loss. L1: {l1}, L2: {l2}, ElasticNet: both.
   */
  regularizer?: Partial<Penalty> | null;
}

/** What a worker needs to rebuild the compiled objects: names and plain values only. */
export interface CompiledSpec {
  optimizer: { name: string; config: Record<string, unknown> };
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
/** Each parameter's own penalty (from its layer), before a model-wide regularizer was added. */
const ownPenalty = new WeakMap<Parameter, Penalty | null>();

function checkPenalty(r: Partial<Penalty> | null | undefined): Penalty | null {
  if (!r) return null;
  const penalty = { l1: r.l1 ?? 0, l2: r.l2 ?? 0 };
  for (const [k, v] of Object.entries(penalty)) {
    if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`compile: regularizer ${k} must be a finite number >= 0, got ${v}`);
  }
  return penalty.l1 || penalty.l2 ? penalty : null;
}

/** Sets each weight's penalty to its own plus the model-wide one; biases keep their own. */
function applyRegularizer(model: TrainableModel, regularizer: Penalty | null): void {
  for (const p of model.parameters()) {
    if (!ownPenalty.has(p)) ownPenalty.set(p, p.penalty);
    const own = ownPenalty.get(p) ?? null;
    if (!regularizer || p.shape.length < 2) {
      p.penalty = own;
    } else {
      p.penalty = { l1: (own?.l1 ?? 0) + regularizer.l1, l2: (own?.l2 ?? 0) + regularizer.l2 };
    }
  }
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
  applyRegularizer(model, regularizer);
  const compiled = { optimizer, loss, metrics, regularizer };
  compiledModels.set(model, compiled);
  return compiled;
}

export function compiledOf(model: TrainableModel, what: string): Compiled {
  const compiled = compiledModels.get(model);
  if (!compiled) throw new Error(`${what}: compile the model first (model.compile({optimizer, loss}))`);
  return compiled;
}

/** The optimizer's class name and settings, to rebuild it elsewhere. */
function optimizerSpec(optimizer: Optimizer): CompiledSpec['optimizer'] {
  const o = optimizer as Optimizer & { name?: string; getConfig?: () => Record<string, unknown> };
  return { name: o.name ?? o.constructor.name, config: { ...(o.getConfig?.() ?? {}), lr: o.lr } };
}

export function specOf(compiled: Compiled): CompiledSpec {
  return {
    optimizer: optimizerSpec(compiled.optimizer),
    loss: compiled.loss.name,
    metrics: compiled.metrics.map((m) => m.name),
    regularizer: compiled.regularizer,
  };
}

/** Rebuilds compiled objects in a worker; the names must resolve through the registry there. */
export function compileFromSpec(model: TrainableModel, spec: CompiledSpec): Compiled {
  return compile(model, {
    optimizer: createOptimizer(spec.optimizer.name, model.parameters(), spec.optimizer.config),
    loss: spec.loss,
    metrics: spec.metrics,
    regularizer: spec.regularizer,
  });
}
