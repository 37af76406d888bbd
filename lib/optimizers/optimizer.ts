// The optimizer base: parameter groups, per-parameter state buffers, the non-finite gradient
// check, fused gradient clipping, and state save/restore. Each subclass names its fused kernel
// and turns its hyper-parameters into the kernel's row (HYPER).
import type { Parameter } from '../parameter';
import { formatShape } from '../tensor';
import { FLOAT32_MAX, HYPER, HYPER_SIZE, optimStep, stateBuffers, sumAbsSq, type Kind } from './native';

/** Hyper-parameters every parameter group has; subclasses add theirs. */
export interface GroupOptions {
  /** Learning rate; schedules and callbacks may change it between steps. */
  lr: number;
  /**
   * Coupled weight decay, as PyTorch's `weight_decay`: adds weightDecay·θ to the gradient of
   * every parameter of the group (biases included). Same as an L2 penalty of weightDecay/2.
   */
  weightDecay: number;
}

/** Settings of the whole optimizer (not per group). */
export interface OptimizerOptions {
  /**
   * Clip the gradients to this global L2 norm (over all trainable parameters) before the update,
   * fused into the step (the grad buffers are left as they are). Like Keras' `global_clipnorm`.
   */
  clipNorm?: number | null;
  /** Clip each gradient element to [-clipValue, clipValue] in the step (Keras' `clipvalue`). */
  clipValue?: number | null;
  /**
   * A NaN or Inf gradient throws NonFiniteGradientError (default), or with skipNonFinite the
   * step is skipped: no parameter or state changes and step() reports which parameters.
   */
  skipNonFinite?: boolean;
  /**
   * Check the gradients for NaN/Inf before updating (default true). The check reads every
   * gradient once more (4 bytes per parameter) before the fused update, which is what makes
   * "never half-updated" possible; false skips it (NaN then spreads into the weights, as in
   * PyTorch). With clipNorm the check is free: the norm pass does it.
   */
  checkFinite?: boolean;
}

export type ParamGroup<H extends GroupOptions> = H & { params: Parameter[] };
/** A group as the constructor takes it: its parameters and any hyper-parameters to override. */
export type ParamGroupSpec<H extends GroupOptions> = Partial<H> & { params: Parameter[] };
export type Params<H extends GroupOptions> = Parameter[] | ParamGroupSpec<H>[];

/** What one step did. */
export interface StepReport {
  /** True when a non-finite gradient made the optimizer skip the step (skipNonFinite). */
  skipped: boolean;
  /** Names of the parameters whose gradient held a NaN or Inf. */
  nonFinite: string[];
  /** Global L2 norm of the gradients before clipping, when it was computed (null otherwise). */
  gradNorm: number | null;
}

export class NonFiniteGradientError extends Error {
  constructor(readonly params: string[]) {
    super(`non-finite gradient (NaN or Inf) in ${params.join(', ')}: the step was not applied ` +
      '(pass skipNonFinite: true to skip such steps)');
    this.name = 'NonFiniteGradientError';
  }
}

/** What a subclass hands the kernel, besides the regularization the base fills in. */
export interface KernelHyper {
  lr: number;
  gamma?: number;
  beta2?: number;
  eps?: number;
  step1?: number;
  rsqrt2?: number;
  /** Decoupled decay factor on θ (AdamW); default 1. */
  keep?: number;
  /** Coupled weight decay added to c2; default the group's weightDecay. */
  coupledDecay?: number;
}

interface ParamState {
  step: number;
  buffers: Float32Array[];
}

/** Plain, serialisable optimizer state (structured-clone or msgpack it; JSON loses Float32Arrays). */
export interface OptimizerStateDict {
  paramGroups: Record<string, unknown>[];
  state: ({ step: number; buffers: Float32Array[] } | null)[];
}

export function checkNonNegative(owner: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${owner}: ${name} must be a finite number >= 0, got ${String(value)}`);
  }
}

/** value in [0, 1): decay rates and betas. */
export function checkUnit(owner: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new RangeError(`${owner}: ${name} must be in [0, 1), got ${String(value)}`);
  }
}

export abstract class Optimizer<H extends GroupOptions> {
  readonly paramGroups: ParamGroup<H>[];
  clipNorm: number | null;
  clipValue: number | null;
  skipNonFinite: boolean;
  checkFinite: boolean;
  private readonly state = new Map<Parameter, ParamState>();
  private readonly hyper = new Float32Array(HYPER_SIZE);

  protected constructor(params: Params<H>, defaults: H, options: Partial<H> & OptimizerOptions) {
    const { clipNorm = null, clipValue = null, skipNonFinite = false, checkFinite = true, ...overrides } = options;
    if (!Array.isArray(params) || params.length === 0) {
      throw new TypeError(`${this.name}: params must be a non-empty array of Parameters or parameter groups`);
    }
    const specs: ParamGroupSpec<H>[] = isGroupList(params) ? params : [{ params } as ParamGroupSpec<H>];
    const groupDefaults = { ...defaults, ...definedEntries(overrides) } as H;
    const seen = new Set<Parameter>();
    this.paramGroups = specs.map((spec, i) => {
      const group = { ...groupDefaults, ...definedEntries(spec), params: [...spec.params] } as ParamGroup<H>;
      for (const p of group.params) {
        if (!p || typeof p !== 'object' || !('grad' in p) || !('value' in p)) {
          throw new TypeError(`${this.name}: group ${i} holds something that is not a Parameter (use convkit.parameter(tensor))`);
        }
        if (seen.has(p)) throw new RangeError(`${this.name}: parameter '${p.name}' appears twice`);
        seen.add(p);
      }
      this.validate(group);
      return group;
    });
    if (clipNorm !== null) checkNonNegative(this.name, 'clipNorm', clipNorm);
    if (clipValue !== null) checkNonNegative(this.name, 'clipValue', clipValue);
    this.clipNorm = clipNorm;
    this.clipValue = clipValue;
    this.skipNonFinite = skipNonFinite;
    this.checkFinite = checkFinite;
  }

  get name(): string {
    return this.constructor.name;
  }

  /** Learning rate of the first group; setting it sets every group's. */
  get lr(): number {
    return this.paramGroups[0].lr;
  }

  set lr(lr: number) {
    checkNonNegative(this.name, 'lr', lr);
    for (const g of this.paramGroups) g.lr = lr;
  }

  /** The kernel this group's options select. */
  protected abstract kind(group: H): Kind;
  /** Throws a RangeError naming a bad hyper-parameter. */
  protected validate(group: H): void {
    checkNonNegative(this.name, 'lr', group.lr);
    checkNonNegative(this.name, 'weightDecay', group.weightDecay);
  }
  /** Hyper-parameters of the kernel for a parameter at its `step`-th update (1-based). */
  protected abstract kernelHyper(group: H, step: number): KernelHyper;
  /** Fills fresh state buffers (zeros by default). */
  protected initState(_group: H, _buffers: Float32Array[]): void {}

  /**
   * One update of every trainable parameter, each in one fused native pass with its penalty
   * (param.penalty) and the clipping options. Frozen parameters (trainable = false) are skipped.
   */
  step(): StepReport {
    const live = this.paramGroups.flatMap((group) => {
      this.validate(group);
      return group.params.filter((p) => p.trainable).map((p) => ({ group, p }));
    });
    for (const { p } of live) {
      if (p.grad.size !== p.value.size) {
        throw new RangeError(`${this.name}: gradient of '${p.name}' has shape ${formatShape(p.grad.shape)}, ` +
          `the parameter ${formatShape(p.value.shape)}`);
      }
    }
    const check = this.checkGradients(live.map((e) => e.p));
    if (check.nonFinite.length > 0) {
      if (!this.skipNonFinite) throw new NonFiniteGradientError(check.nonFinite);
      return { skipped: true, nonFinite: check.nonFinite, gradNorm: check.norm };
    }
    const gscale = this.clipNorm !== null && check.norm !== null && check.norm > this.clipNorm
      ? this.clipNorm / (check.norm + 1e-6) : 1;
    for (const { group, p } of live) this.update(group, p, gscale);
    return { skipped: false, nonFinite: [], gradNorm: check.norm };
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.zeroGrad();
  }

  /** Hyper-parameters of every group and copies of all state buffers, parameters by position. */
  stateDict(): OptimizerStateDict {
    const params = this.allParams();
    return {
      paramGroups: this.paramGroups.map((g) => {
        const { params: groupParams, ...hyper } = g;
        return { ...structuredClone(hyper), params: groupParams.map((p) => params.indexOf(p)) };
      }),
      state: params.map((p) => {
        const s = this.state.get(p);
        return s ? { step: s.step, buffers: s.buffers.map((b) => b.slice()) } : null;
      }),
    };
  }

  /** Restores what stateDict() returned (copies it) onto an optimizer over the same parameters. */
  loadStateDict(dict: OptimizerStateDict): void {
    const params = this.allParams();
    if (!dict || !Array.isArray(dict.paramGroups) || !Array.isArray(dict.state)) {
      throw new TypeError(`${this.name}.loadStateDict: expected {paramGroups, state}`);
    }
    if (dict.paramGroups.length !== this.paramGroups.length || dict.state.length !== params.length) {
      throw new RangeError(`${this.name}.loadStateDict: the dict has ${dict.paramGroups.length} groups and ` +
        `${dict.state.length} parameters, this optimizer ${this.paramGroups.length} and ${params.length}`);
    }
    const restored = dict.state.map((s, i) => {
      if (s === null) return null;
      for (const b of s.buffers) {
        if (!(b instanceof Float32Array) || b.length !== params[i].size) {
          throw new RangeError(`${this.name}.loadStateDict: state of parameter ${i} ('${params[i].name}') does not ` +
            `match its ${params[i].size} elements`);
        }
      }
      return { step: s.step, buffers: s.buffers.map((b) => b.slice()) };
    });
    const groups = dict.paramGroups.map((g, i) => {
      const { params: _indices, ...hyper } = g;
      const group = { ...this.paramGroups[i], ...structuredClone(hyper) } as ParamGroup<H>;
      this.validate(group);
      return group;
    });
    groups.forEach((g, i) => Object.assign(this.paramGroups[i], g, { params: this.paramGroups[i].params }));
    this.state.clear();
    restored.forEach((s, i) => { if (s) this.state.set(params[i], s); });
  }

  private allParams(): Parameter[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** Global norm and non-finite gradients, in one read of each gradient, when needed. */
  private checkGradients(params: Parameter[]): { norm: number | null; nonFinite: string[] } {
    if (!this.checkFinite && this.clipNorm === null) return { norm: null, nonFinite: [] };
    let squares = 0;
    const nonFinite: string[] = [];
    for (const p of params) {
      const sq = sumAbsSq(p.grad.data)[1];
      if (!Number.isFinite(sq)) nonFinite.push(p.name);
      squares += sq;
    }
    return { norm: Math.sqrt(squares), nonFinite };
  }

  private update(group: ParamGroup<H>, p: Parameter, gscale: number): void {
    const kind = this.kind(group);
    const state = this.stateOf(group, p, stateBuffers[kind]);
    state.step += 1;
    const k = this.kernelHyper(group, state.step);
    const h = this.hyper;
    h[HYPER.lr] = k.lr;
    h[HYPER.l1] = p.penalty?.l1 ?? 0;
    h[HYPER.c2] = 2 * (p.penalty?.l2 ?? 0) + (k.coupledDecay ?? group.weightDecay);
    h[HYPER.keep] = k.keep ?? 1;
    h[HYPER.gamma] = k.gamma ?? 0;
    h[HYPER.beta2] = k.beta2 ?? 0;
    h[HYPER.eps] = k.eps ?? 0;
    h[HYPER.step1] = k.step1 ?? 0;
    h[HYPER.rsqrt2] = k.rsqrt2 ?? 0;
    h[HYPER.gscale] = gscale;
    h[HYPER.gclip] = this.clipValue ?? FLOAT32_MAX;
    optimStep(kind, h, p.value.data, p.grad.data, state.buffers[0] ?? null, state.buffers[1] ?? null);
  }

  private stateOf(group: H, p: Parameter, count: number): ParamState {
    let state = this.state.get(p);
    if (!state) {
      state = { step: 0, buffers: [] };
      this.state.set(p, state);
    }
    if (state.buffers.length < count) {
      const fresh = Array.from({ length: count - state.buffers.length }, () => new Float32Array(p.size));
      this.initState(group, fresh);
      state.buffers.push(...fresh);
    }
    return state;
  }
}

function isGroupList<H extends GroupOptions>(params: Params<H>): params is ParamGroupSpec<H>[] {
  return params.length > 0 && Array.isArray((params[0] as { params?: unknown }).params);
}

/** The entries of `o` whose value is not undefined (so `{lr: undefined}` keeps the default). */
function definedEntries<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
