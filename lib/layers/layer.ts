// The base of every layer: shape inference, weights, per-batch-size buffers, forward/backward.
//
// The Layer API:
//   new Conv2D({...}) / layers.conv2d({...})   options checked at construction
//   layer.apply(x | [x1, x2])                   functional API: symbolic output (a layer is applied once)
//   layer.build(inputShapes, random?)           creates and initializes the weights (models do this)
//   layer.forward(x | [x1, ...], {training?, seed?}) -> y        (builds on first use)
//   layer.backward(dy, needDx?) -> [dx1, ...]   (null where needDx[i] is false); adds into param.grad
//   layer.parameters(): Parameter[]             trainable weights ('<layer>/kernel', '<layer>/bias')
//   layer.namedWeights(), getWeights(), setWeights(ws)   parameters then state (BatchNorm running stats)
//   layer.trainable = false                     freezes: its parameters get trainable = false
//   layer.toConfig() -> {className, config}     rebuilt by layerFromConfig (registry.ts)
//   layer.inputShapes, layer.outputShape        per sample, without the batch dimension
//
// A layer works on batches whose first dimension is the batch size N. Gradients ACCUMULATE into
// param.grad: call zeroGrad() between steps. Buffers returned by forward/backward belong to the
// layer and are overwritten by its next call with the same batch size; clone() what you keep.
import { Tensor, formatShape, sameShape, type Shape } from '../tensor';
import { Parameter, type Penalty } from '../parameter';
import { getGlobalRandom, type Random } from '../random';
import { getInitializer, type Initializer, type InitializerIdentifier } from '../initializers';
import { SymbolicTensor, checkName, checkSampleShape } from '../symbolic-tensor';

export interface LayerArgs {
  name?: string;
  /** false freezes the layer: its parameters get trainable = false and optimizers skip them. */
  trainable?: boolean;
}

/** A weight to create at build time. */
export interface WeightSpec {
  name: string;
  shape: Shape;
  initializer: Initializer;
  penalty?: Penalty | null;
  /** Non-trainable state (BatchNorm running statistics): saved with the weights, never a Parameter. */
  state?: boolean;
}

/** A weight tensor with its model-unique name ('<layer>/<weight>'). */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

export type LayerConfig = Record<string, unknown>;

export interface ForwardOptions {
  /** Training mode: dropout drops, BatchNorm uses and updates batch statistics. Default false. */
  training?: boolean;
  /** Seed of the random layers for this call (each Dropout mixes in its own seed). */
  seed?: number;
}

export interface ForwardContext {
  training: boolean;
  seed?: number;
}

/** Anything with a penalty (lib/regularizers' L1/L2/ElasticNet), or the penalty itself. */
export type RegularizerLike = { penalty: Penalty } | Penalty | null | undefined;

export function toPenalty(reg: RegularizerLike, what: string): Penalty | null {
  if (reg === null || reg === undefined) return null;
  const p = 'penalty' in reg ? reg.penalty : reg;
  const ok = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (!p || typeof p !== 'object' || !ok(p.l1 ?? 0) || !ok(p.l2 ?? 0)) {
    throw new TypeError(`${what} must be a regularizer ({penalty: {l1, l2}}) or {l1, l2} with non-negative numbers, got ${JSON.stringify(reg)}`);
  }
  return { l1: p.l1 ?? 0, l2: p.l2 ?? 0 };
}

const nameCounts = new Map<string, number>();

/** Keras-style automatic names: conv2d, conv2d_1, conv2d_2, ... (counted per process). */
function uniqueName(prefix: string): string {
  const n = nameCounts.get(prefix) ?? 0;
  nameCounts.set(prefix, n + 1);
  return n === 0 ? prefix : `${prefix}_${n}`;
}

/** Batch sizes whose buffers a layer keeps: the training size, the last smaller batch, eval. */
const CACHED_BATCH_SIZES = 4;

export abstract class Layer {
  /** The registry name, e.g. 'Conv2D' (set by each subclass). */
  static readonly className: string;
  readonly name: string;
  inputShapes: Shape[] | null = null;
  outputShape: Shape | null = null;
  /** The symbolic output once the layer is applied in a graph. */
  output: SymbolicTensor | null = null;

  private trainableFlag: boolean;
  private readonly params: Parameter[] = [];
  private readonly states: NamedTensor[] = [];
  private readonly caches = new Map<string, Map<number, unknown>>();
  private lastBatch = 0;
  /** The inputs of the last forward, kept (not copied) for backward. */
  protected lastInputs: readonly Tensor[] = [];

  constructor(args: LayerArgs = {}) {
    const prefix = this.className.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase(); // Keras: max_pool2d, re_lu
    this.name = args.name === undefined ? uniqueName(prefix) : checkName(args.name, 'layer name');
    this.trainableFlag = checkBoolean(args.trainable ?? true, 'trainable');
  }

  get className(): string {
    return (this.constructor as typeof Layer).className;
  }

  /** 'Conv2D 'conv2d_1'', for error messages. */
  describe(): string {
    return `${this.className} '${this.name}'`;
  }

  get trainable(): boolean {
    return this.trainableFlag;
  }

  set trainable(value: boolean) {
    this.trainableFlag = checkBoolean(value, 'trainable');
    for (const p of this.params) p.trainable = value;
  }

  get built(): boolean {
    return this.inputShapes !== null;
  }

  /** How many inputs the layer takes: [min, max]. */
  protected get inputCount(): [number, number] {
    return [1, 1];
  }

  /** Per-sample output shape for these per-sample input shapes (inputs already counted). */
  protected abstract inferShape(inputShapes: readonly Shape[]): Shape;

  /** The weights build() creates, in getWeights order (trainable first, then state). */
  protected weightSpecs(_inputShapes: readonly Shape[]): WeightSpec[] {
    return [];
  }

  /** Called once by build() after the weights exist (e.g. to draw a dropout seed). */
  protected onBuild(_random: Random): void {}

  /** y = f(inputs) for a batch, written into a buffer of the layer (outputBuffer). */
  protected abstract call(inputs: readonly Tensor[], ctx: ForwardContext): Tensor;

  /** Input gradients (null where not needed) from dy; adds the parameter gradients into param.grad. */
  protected abstract grad(dy: Tensor, needDx: readonly boolean[]): (Tensor | null)[];

  /** Constructor options that rebuild this layer (JSON). */
  protected abstract layerConfig(): LayerConfig;

  /** Throws a RangeError naming this layer. */
  protected fail(message: string): never {
    throw new RangeError(`${this.describe()}: ${message}`);
  }

  /** Checks the number of inputs and infers the output shape, with an error naming the layer. */
  computeOutputShape(inputShapes: readonly Shape[]): Shape {
    const [min, max] = this.inputCount;
    if (inputShapes.length < min || inputShapes.length > max) {
      const want = min === max ? `${min}` : `${min} to ${max === Infinity ? 'any number of' : max}`;
      this.fail(`takes ${want} input(s), got ${inputShapes.length}`);
    }
    const shape = this.inferShape(inputShapes);
    checkSampleShape(shape, `${this.describe()} output`);
    return shape;
  }

  /** Number of weight elements build() would allocate (checked by loaders before building). */
  countWeightsFor(inputShapes: readonly Shape[]): number {
    return this.weightSpecs(inputShapes).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Creates and initializes the weights for these per-sample input shapes. */
  build(inputShapes: readonly Shape[], random: Random = getGlobalRandom()): void {
    if (this.built) {
      this.checkInputShapes(inputShapes);
      return;
    }
    this.outputShape = this.computeOutputShape(inputShapes);
    for (const spec of this.weightSpecs(inputShapes)) {
      const value = new Tensor(new Float32Array(spec.shape.reduce((a, b) => a * b, 1)), spec.shape);
      spec.initializer.fill(value, random);
      const name = `${this.name}/${spec.name}`;
      if (spec.state) {
        this.states.push({ name, tensor: value });
      } else {
        const p = new Parameter(value, name);
        p.trainable = this.trainableFlag;
        p.penalty = spec.penalty ?? null;
        this.params.push(p);
      }
    }
    this.inputShapes = inputShapes.map((s) => Object.freeze([...s]));
    this.onBuild(random);
  }

  private checkInputShapes(inputShapes: readonly Shape[]): void {
    const built = this.inputShapes!;
    const same = built.length === inputShapes.length && built.every((s, i) => sameShape(s, inputShapes[i]));
    if (!same) {
      this.fail(`was built for input shape(s) ${built.map(formatShape).join(', ')}, got ${inputShapes.map(formatShape).join(', ')}`);
    }
  }

  /** Connects the layer in a graph: returns its symbolic output (a layer is applied once). */
  apply(x: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor {
    const inputs = x instanceof SymbolicTensor ? [x] : [...x];
    if (inputs.some((t) => !(t instanceof SymbolicTensor))) {
      this.fail('apply() takes symbolic tensors (from input() or another layer.apply())');
    }
    if (this.output) this.fail('is already used in a graph; layers are not shared, create another layer');
    const shape = this.computeOutputShape(inputs.map((t) => t.shape));
    this.output = new SymbolicTensor(shape, this, inputs, this.name);
    return this.output;
  }

  /** Runs the layer on a batch (building it from the input shapes on first use). */
  forward(x: Tensor | readonly Tensor[], { training = false, seed }: ForwardOptions = {}): Tensor {
    const inputs = x instanceof Tensor ? [x] : [...x];
    if (inputs.length === 0 || inputs.some((t) => !(t instanceof Tensor))) this.fail('forward() takes a tensor or an array of tensors');
    const N = inputs[0].shape[0];
    for (const [i, t] of inputs.entries()) {
      if (t.rank < 2 || t.shape[0] !== N) {
        this.fail(`input ${i} must be a batch [N, ...] with the same N as input 0 ([${N}, ...]), got ${formatShape(t.shape)}`);
      }
    }
    const shapes = inputs.map((t) => t.shape.slice(1));
    if (!this.built) this.build(shapes);
    else this.checkInputShapes(shapes);
    this.lastBatch = N;
    this.lastInputs = inputs;
    return this.call(inputs, { training, seed });
  }

  /**
   * Backward of the last forward: returns dL/dinput for each input (null where needDx is false)
   * and adds dL/dparam into each parameter's grad (frozen ones included; optimizers skip them).
   */
  backward(dy: Tensor, needDx?: readonly boolean[]): (Tensor | null)[] {
    if (this.lastBatch === 0) this.fail('backward() called before forward()');
    const want = [this.lastBatch, ...this.outputShape!];
    if (!(dy instanceof Tensor) || !sameShape(dy.shape, want)) {
      this.fail(`backward() expects dy of shape ${formatShape(want)} (the last output), got ${dy instanceof Tensor ? formatShape(dy.shape) : typeof dy}`);
    }
    return this.grad(dy, needDx ?? this.inputShapes!.map(() => true));
  }

  /** The buffers of batch size N, made once by `make` and reused (a few batch sizes are kept per kind). */
  protected batchBuffers<T>(N: number, make: () => T, kind = 'extra'): T {
    let cache = this.caches.get(kind);
    if (!cache) this.caches.set(kind, (cache = new Map()));
    let entry = cache.get(N) as T | undefined;
    if (entry === undefined) {
      if (cache.size >= CACHED_BATCH_SIZES) cache.delete(cache.keys().next().value!);
      entry = make();
    } else {
      cache.delete(N);
    }
    cache.set(N, entry); // most recently used last
    return entry;
  }

  /** The output buffer y [N, ...outputShape] of batch size N (allocated on first use). */
  protected outputBuffer(N: number): Tensor {
    return this.batchBuffers(N, () => batchTensor(N, this.outputShape!), 'y');
  }

  /** The input-gradient buffers dx[i] [N, ...inputShapes[i]] (allocated by the first backward). */
  protected inputGrads(N: number): Tensor[] {
    return this.batchBuffers(N, () => this.inputShapes!.map((s) => batchTensor(N, s)), 'dx');
  }

  protected inputGrad(N: number): Tensor {
    return this.inputGrads(N)[0];
  }

  /** Trainable weights as Parameters (frozen ones included, with trainable = false). */
  parameters(): Parameter[] {
    return [...this.params];
  }

  /** Every weight in getWeights order: parameters, then state such as running statistics. */
  namedWeights(): NamedTensor[] {
    return [...this.params.map((p) => ({ name: p.name, tensor: p.value })), ...this.states];
  }

  protected param(i: number): Parameter {
    return this.params[i];
  }

  protected state(i: number): Tensor {
    return this.states[i].tensor;
  }

  /** Copies of the weights (PyTorch layouts: kernels OIHW, Dense [out, in]). */
  getWeights(): Tensor[] {
    return this.namedWeights().map((w) => w.tensor.clone());
  }

  /** Copies `weights` in (same count and shapes as getWeights). */
  setWeights(weights: readonly Tensor[]): void {
    const own = this.namedWeights();
    if (!this.built && own.length === 0 && weights.length > 0) this.fail('setWeights() before the layer is built');
    if (weights.length !== own.length) this.fail(`setWeights() expects ${own.length} tensors, got ${weights.length}`);
    own.forEach((w, i) => {
      const src = weights[i];
      if (!(src instanceof Tensor) || !sameShape(src.shape, w.tensor.shape)) {
        this.fail(`setWeights(): weight ${i} ('${w.name}') has shape ${formatShape(w.tensor.shape)}, got ${src instanceof Tensor ? formatShape(src.shape) : typeof src}`);
      }
    });
    own.forEach((w, i) => w.tensor.data.set(weights[i].data));
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  countParams(): number {
    return this.namedWeights().reduce((n, w) => n + w.tensor.size, 0);
  }

  /** {className, config}: enough to rebuild the layer with the registry (weights apart). */
  toConfig(): { className: string; config: LayerConfig } {
    return { className: this.className, config: { name: this.name, trainable: this.trainable, ...this.layerConfig() } };
  }
}

/** A zeroed batch [N, ...sample]. */
export function batchTensor(N: number, sample: Shape): Tensor {
  return new Tensor(new Float32Array(N * sample.reduce((a, b) => a * b, 1)), [N, ...sample]);
}

/** Resolves an initializer option with its default. */
export function initializerOption(id: InitializerIdentifier | undefined, fallback: string): Initializer {
  return getInitializer(id ?? fallback);
}

export function checkBoolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${what} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}
