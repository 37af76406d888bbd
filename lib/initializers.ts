// Weight initializers (Keras names, PyTorch fan convention). Defaults of the layers follow Keras:
// kernels glorotUniform, biases zeros, BatchNorm gamma ones and beta zeros.
//
// Fans (PyTorch's _calculate_fan_in_and_fan_out): a Dense weight [out, in] has fanIn = in,
// fanOut = out; a conv kernel [O, C/g, KH, KW] has fanIn = C/g·KH·KW and fanOut = O·KH·KW.
import { Tensor, formatShape, type Shape } from './tensor';
import { Random } from './random';

export interface Fans {
  fanIn: number;
  fanOut: number;
}

export function computeFans(shape: Shape): Fans {
  if (shape.length < 2) {
    throw new RangeError(`fans need a weight of rank >= 2 ([out, in] or [O, C/g, KH, KW]), got ${formatShape(shape)}`);
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

export type InitializerConfig = Record<string, number>;

export abstract class Initializer {
  abstract readonly className: string;
  abstract getConfig(): InitializerConfig;
  /** Fills `t` in place; `fans` defaults to computeFans(t.shape). */
  abstract fill(t: Tensor, random: Random, fans?: Fans): void;
}

function positive(value: number, what: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${what} must be a positive number, got ${value}`);
  return value;
}

function finite(value: number, what: string): number {
  if (!Number.isFinite(value)) throw new RangeError(`${what} must be a finite number, got ${value}`);
  return value;
}

function fillUniform(t: Tensor, random: Random, low: number, high: number): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = low + (high - low) * random.uniform();
}

function fillNormal(t: Tensor, random: Random, mean: number, std: number): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * random.normal();
}

export class Constant extends Initializer {
  readonly className: string = 'Constant';
  readonly value: number;
  constructor({ value = 0 }: { value?: number } = {}) {
    super();
    this.value = finite(value, 'Constant value');
  }
  getConfig(): InitializerConfig {
    return { value: this.value };
  }
  fill(t: Tensor): void {
    t.data.fill(this.value);
  }
}

export class Zeros extends Constant {
  override readonly className = 'Zeros';
  constructor() {
    super({ value: 0 });
  }
  override getConfig(): InitializerConfig {
    return {};
  }
}

export class Ones extends Constant {
  override readonly className = 'Ones';
  constructor() {
    super({ value: 1 });
  }
  override getConfig(): InitializerConfig {
    return {};
  }
}

/** U(minval, maxval). */
export class RandomUniform extends Initializer {
  readonly className = 'RandomUniform';
  readonly minval: number;
  readonly maxval: number;
  constructor({ minval = -0.05, maxval = 0.05 }: { minval?: number; maxval?: number } = {}) {
    super();
    this.minval = finite(minval, 'RandomUniform minval');
    this.maxval = finite(maxval, 'RandomUniform maxval');
    if (maxval < minval) throw new RangeError(`RandomUniform needs minval <= maxval, got ${minval} > ${maxval}`);
  }
  getConfig(): InitializerConfig {
    return { minval: this.minval, maxval: this.maxval };
  }
  fill(t: Tensor, random: Random): void {
    fillUniform(t, random, this.minval, this.maxval);
  }
}

/** N(mean, stddev²). */
export class RandomNormal extends Initializer {
  readonly className = 'RandomNormal';
  readonly mean: number;
  readonly stddev: number;
  constructor({ mean = 0, stddev = 0.05 }: { mean?: number; stddev?: number } = {}) {
    super();
    this.mean = finite(mean, 'RandomNormal mean');
    this.stddev = positive(stddev, 'RandomNormal stddev');
  }
  getConfig(): InitializerConfig {
    return { mean: this.mean, stddev: this.stddev };
  }
  fill(t: Tensor, random: Random): void {
    fillNormal(t, random, this.mean, this.stddev);
  }
}

type FanScaled = 'GlorotUniform' | 'GlorotNormal' | 'HeUniform' | 'HeNormal';

/**
 * Variance scaling, the std each variant targets:
 *   GlorotNormal  std = gain·√(2/(fanIn+fanOut)),  GlorotUniform U(±gain·√(6/(fanIn+fanOut)))
 *   HeNormal      std = gain·√(2/fanIn),           HeUniform     U(±gain·√(6/fanIn))
 * (the uniform limits give the same std as the normal ones; He is kaiming_*_(nonlinearity='relu')
 * with plain, untruncated normals like PyTorch).
 */
export class VarianceScaling extends Initializer {
  readonly className: FanScaled;
  readonly gain: number;
  constructor(className: FanScaled, { gain = 1 }: { gain?: number } = {}) {
    super();
    this.className = className;
    this.gain = positive(gain, `${className} gain`);
  }
  getConfig(): InitializerConfig {
    return { gain: this.gain };
  }
  /** Standard deviation of the values drawn for a weight with these fans. */
  std(fans: Fans): number {
    const fan = this.className.startsWith('Glorot') ? (fans.fanIn + fans.fanOut) / 2 : fans.fanIn / 2;
    return this.gain / Math.sqrt(Math.max(fan, 1e-12));
  }
  fill(t: Tensor, random: Random, fans = computeFans(t.shape)): void {
    const std = this.std(fans);
    if (this.className.endsWith('Uniform')) {
      const limit = Math.sqrt(3) * std;
      fillUniform(t, random, -limit, limit);
    } else {
      fillNormal(t, random, 0, std);
    }
  }
}

export const glorotUniform = (opts?: { gain?: number }) => new VarianceScaling('GlorotUniform', opts);
export const glorotNormal = (opts?: { gain?: number }) => new VarianceScaling('GlorotNormal', opts);
export const heUniform = (opts?: { gain?: number }) => new VarianceScaling('HeUniform', opts);
export const heNormal = (opts?: { gain?: number }) => new VarianceScaling('HeNormal', opts);
/** Aliases: PyTorch's names for the same distributions. */
export const xavierUniform = glorotUniform;
export const xavierNormal = glorotNormal;
export const zeros = () => new Zeros();
export const ones = () => new Ones();
export const constant = (opts: { value: number }) => new Constant(opts);
export const randomUniform = (opts?: { minval?: number; maxval?: number }) => new RandomUniform(opts);
export const randomNormal = (opts?: { mean?: number; stddev?: number }) => new RandomNormal(opts);

const byName: Record<string, (config: InitializerConfig) => Initializer> = {
  GlorotUniform: glorotUniform,
  GlorotNormal: glorotNormal,
  HeUniform: heUniform,
  HeNormal: heNormal,
  Zeros: zeros,
  Ones: ones,
  Constant: (c) => constant(c as { value: number }),
  RandomUniform: randomUniform,
  RandomNormal: randomNormal,
};

/** A serialized initializer: what toConfig writes and getInitializer reads back. */
export interface InitializerSpec {
  className: string;
  config: InitializerConfig;
}

export type InitializerIdentifier = Initializer | InitializerSpec | string;

export function serializeInitializer(init: Initializer): InitializerSpec {
  return { className: init.className, config: init.getConfig() };
}

/**
 * An initializer from an instance, a serialized spec, or a name: 'glorotUniform',
 * 'GlorotUniform', 'glorot_uniform', 'xavierUniform', 'heNormal', 'zeros', ...
 */
export function getInitializer(id: InitializerIdentifier): Initializer {
  if (id instanceof Initializer) return id;
  const spec: InitializerSpec = typeof id === 'string' ? { className: id, config: {} } : id;
  if (spec === null || typeof spec !== 'object' || typeof spec.className !== 'string') {
    throw new TypeError(`unknown initializer ${JSON.stringify(id)}`);
  }
  const key = spec.className.replace(/_(.)/g, (_, c: string) => c.toUpperCase()).replace(/^xavier/i, 'glorot');
  const name = Object.keys(byName).find((k) => k.toLowerCase() === key.toLowerCase());
  if (!name) {
    throw new RangeError(`unknown initializer '${spec.className}'; known: ${Object.keys(byName).join(', ')}`);
  }
  const config = spec.config ?? {};
  if (typeof config !== 'object' || Object.values(config).some((v) => typeof v !== 'number')) {
    throw new TypeError(`initializer '${spec.className}' config must map names to numbers, got ${JSON.stringify(config)}`);
  }
  return byName[name](config);
}
