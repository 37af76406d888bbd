// Learning-rate schedules with PyTorch's names and semantics: call `scheduler.step()` once per
// epoch after the optimizer's steps (ReduceLROnPlateau: `step(metric)`). They set `lr` on every
// parameter group of the optimizer.
import type { GroupOptions, Optimizer } from './optimizers';

type AnyOptimizer = Optimizer<GroupOptions>;

function checkPositive(owner: string, name: string, v: unknown, integer = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new RangeError(`${owner}: ${name} must be a ${integer ? 'positive integer' : 'finite number > 0'}, got ${String(v)}`);
  }
}

/**
 * A schedule given in closed form: lr of each group = f(its initial lr, epoch). Like PyTorch's
 * schedulers, construction counts as epoch 0.
 */
export abstract class LRScheduler {
  readonly baseLrs: number[];
  lastEpoch = 0;

  constructor(readonly optimizer: AnyOptimizer) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  protected abstract lrAt(baseLr: number, epoch: number): number;

  /** Advances one epoch and sets the groups' learning rates. */
  step(): void {
    this.lastEpoch += 1;
    this.optimizer.paramGroups.forEach((g, i) => { g.lr = this.lrAt(this.baseLrs[i], this.lastEpoch); });
  }

  /** The learning rates the last step set, one per group. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): { lastEpoch: number; baseLrs: number[] } {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  loadStateDict(s: { lastEpoch: number; baseLrs: number[] }): void {
    this.lastEpoch = s.lastEpoch;
    this.baseLrs.splice(0, this.baseLrs.length, ...s.baseLrs);
  }
}

/** lr = initial lr · gamma^⌊epoch / stepSize⌋ (PyTorch StepLR; gamma default 0.1). */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, { stepSize, gamma = 0.1 }: { stepSize: number; gamma?: number }) {
    super(optimizer);
    checkPositive('StepLR', 'stepSize', stepSize, true);
    checkPositive('StepLR', 'gamma', gamma);
    this.stepSize = stepSize;
    this.gamma = gamma;
  }

  protected lrAt(baseLr: number, epoch: number): number {
    return baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** lr = initial lr · gamma^epoch (PyTorch ExponentialLR). */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, { gamma }: { gamma: number }) {
    super(optimizer);
    checkPositive('ExponentialLR', 'gamma', gamma);
    this.gamma = gamma;
  }

  protected lrAt(baseLr: number, epoch: number): number {
    return baseLr * this.gamma ** epoch;
  }
}

/** lr = etaMin + (initial lr − etaMin)(1 + cos(π epoch / tMax)) / 2 (PyTorch CosineAnnealingLR's closed form). */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: AnyOptimizer, { tMax, etaMin = 0 }: { tMax: number; etaMin?: number }) {
    super(optimizer);
    checkPositive('CosineAnnealingLR', 'tMax', tMax, true);
    if (!(etaMin >= 0) || !Number.isFinite(etaMin)) throw new RangeError(`CosineAnnealingLR: etaMin must be >= 0, got ${etaMin}`);
    this.tMax = tMax;
    this.etaMin = etaMin;
  }

  protected lrAt(baseLr: number, epoch: number): number {
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}

export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': rise (an accuracy). */
  mode?: 'min' | 'max';
  /** lr ← lr · factor on a plateau (< 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing. */
  patience?: number;
  /** Smallest change that counts as an improvement, relative ('rel') or absolute ('abs'). */
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again. */
  cooldown?: number;
  /** Lower bound of lr, one for all groups or one per group. */
  minLr?: number | number[];
  /** Reductions smaller than this are not applied. */
  eps?: number;
}

/** Reduces lr when a metric stops improving (PyTorch ReduceLROnPlateau, same defaults). */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(readonly optimizer: AnyOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0,
      minLr = 0, eps = 1e-8 } = options;
    if (mode !== 'min' && mode !== 'max') throw new RangeError(`ReduceLROnPlateau: mode must be 'min' or 'max', got ${String(mode)}`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new RangeError(`ReduceLROnPlateau: thresholdMode must be 'rel' or 'abs', got ${String(thresholdMode)}`);
    }
    if (!(factor > 0 && factor < 1)) throw new RangeError(`ReduceLROnPlateau: factor must be in (0, 1), got ${factor}`);
    for (const [name, v] of [['patience', patience], ['cooldown', cooldown]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`ReduceLROnPlateau: ${name} must be an integer >= 0, got ${v}`);
    }
    const groups = optimizer.paramGroups.length;
    const minLrs = Array.isArray(minLr) ? [...minLr] : new Array<number>(groups).fill(minLr);
    if (minLrs.length !== groups) {
      throw new RangeError(`ReduceLROnPlateau: minLr has ${minLrs.length} values for ${groups} parameter groups`);
    }
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.minLrs = minLrs;
    this.eps = eps;
    this.best = mode === 'min' ? Infinity : -Infinity;
  }

  /** Call once per epoch with the monitored metric (e.g. validation loss). */
  step(metric: number): void {
    if (typeof metric !== 'number' || Number.isNaN(metric)) {
      throw new TypeError(`ReduceLROnPlateau.step: metric must be a number, got ${String(metric)}`);
    }
    this.lastEpoch += 1;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.reduce();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): { best: number; numBadEpochs: number; cooldownCounter: number; lastEpoch: number } {
    const { best, numBadEpochs, cooldownCounter, lastEpoch } = this;
    return { best, numBadEpochs, cooldownCounter, lastEpoch };
  }

  loadStateDict(s: { best: number; numBadEpochs: number; cooldownCounter: number; lastEpoch: number }): void {
    ({ best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter, lastEpoch: this.lastEpoch } = s);
  }

  private isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === 'rel' ? a > best * (1 + threshold) : a > best + threshold;
  }

  private reduce(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const lr = Math.max(g.lr * this.factor, this.minLrs[i]);
      if (g.lr - lr > this.eps) g.lr = lr;
    });
  }
}
