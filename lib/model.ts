// A model: a DAG of layers from one input to one output, run in topological order.
//
// The Model API (what the training loop, save/load and users build on):
//   model.forward(x [N, ...inputShape], {training?, seed?}) -> y [N, ...outputShape]
//   model.backward(dy [N, ...outputShape], {inputGrad?}) -> dL/dx if inputGrad, else undefined;
//       adds dL/dparam into every parameter's grad (call zeroGrad() between steps)
//   model.parameters() -> Parameter[] (trainable and frozen; unique names '<layer>/<weight>')
//   model.layers, model.getLayer(name), model.countParams(), model.summary()
//   model.getWeights() / setWeights(ws): every weight incl. BatchNorm running statistics, layer
//       by layer in topological order (namedWeights() gives their names)
//   model.toConfig() -> JSON topology; Model.fromConfig(config) rebuilds it (weights apart)
//   model.inputShape, model.outputShape: per sample, without the batch dimension
// Tensors returned by forward/backward are buffers of the model (reused per batch size, a few
// sizes are cached): they are overwritten by the next call, clone() what you keep.
import { Tensor, formatShape, sameShape, type Shape } from './tensor';
import type { Parameter } from './parameter';
import { add } from './ops/elementwise';
import { randomFor } from './random';
import { SymbolicTensor, checkSampleShape, input as symbolicInput } from './symbolic-tensor';
import { Layer, batchTensor, type ForwardOptions, type LayerConfig, type NamedTensor } from './layers/layer';
import { layerFromConfig } from './layers/registry';
import { formatSummary } from './summary';

export interface ModelArgs {
  inputs: SymbolicTensor | readonly SymbolicTensor[];
  outputs: SymbolicTensor | readonly SymbolicTensor[];
  name?: string;
  /** Seed of the weight initialization (and dropout seeds); default: the global generator. */
  seed?: number;
  /** Refuse to build when the layers would allocate more weight elements than this. */
  maxWeights?: number;
}

export const MODEL_CONFIG_FORMAT = 'convkit.model';
export const MODEL_CONFIG_VERSION = 1;
/** Bounds for configs read from files. */
export const MAX_LAYERS = 100_000;
const MAX_WEIGHTS = 2 ** 31 - 1;
const CACHED_BATCH_SIZES = 4;

export interface ModelConfig {
  format: typeof MODEL_CONFIG_FORMAT;
  version: number;
  name: string;
  input: { name: string; shape: number[] };
  /** Layers in topological order; inbound names the layers (or the input) each one reads. */
  layers: { className: string; config: LayerConfig; inbound: string[] }[];
  output: string;
}

function single(t: SymbolicTensor | readonly SymbolicTensor[], what: string): SymbolicTensor {
  const list = t instanceof SymbolicTensor ? [t] : t;
  if (!Array.isArray(list) || list.length !== 1 || !(list[0] instanceof SymbolicTensor)) {
    throw new TypeError(`model(): ${what} must be one symbolic tensor (models have one input and one output)`);
  }
  return list[0];
}

/** The nodes `output` depends on, inputs before consumers (iterative DFS: deep graphs are fine). */
function topologicalOrder(output: SymbolicTensor): SymbolicTensor[] {
  const order: SymbolicTensor[] = [];
  const state = new Map<SymbolicTensor, 'open' | 'done'>();
  const stack: [SymbolicTensor, number][] = [[output, 0]];
  state.set(output, 'open');
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, next] = top;
    if (next < node.inputs.length) {
      top[1]++;
      const child = node.inputs[next];
      if (state.get(child) === 'open') throw new RangeError(`the graph has a cycle through '${child.name}'`);
      if (!state.has(child)) {
        state.set(child, 'open');
        stack.push([child, 0]);
      }
    } else {
      state.set(node, 'done');
      order.push(node);
      stack.pop();
    }
  }
  return order;
}

export class Model {
  readonly name: string;
  readonly input: SymbolicTensor;
  readonly output: SymbolicTensor;
  /** Layers in topological order. */
  readonly layers: readonly Layer[];
  private readonly nodes: readonly SymbolicTensor[];
  private readonly consumers = new Map<SymbolicTensor, number>();
  private readonly values = new Map<SymbolicTensor, Tensor>();
  private readonly grads = new Map<SymbolicTensor, Tensor>();
  private readonly gradBuffers = new Map<number, Map<SymbolicTensor, Tensor>>();
  private lastBatch = 0;

  constructor(args: ModelArgs) {
    this.input = single(args.inputs, 'inputs');
    this.output = single(args.outputs, 'outputs');
    this.name = args.name ?? 'model';
    const order = topologicalOrder(this.output);
    const sources = order.filter((n) => n.layer === null);
    const stray = sources.find((n) => n !== this.input);
    if (stray) throw new RangeError(`model '${this.name}': the output depends on input '${stray.name}', which is not the model's input '${this.input.name}'`);
    if (sources.length === 0) throw new RangeError(`model '${this.name}': the output does not depend on the input '${this.input.name}'`);
    this.nodes = order.filter((n) => n.layer !== null);
    if (this.nodes.length === 0) throw new RangeError(`model '${this.name}' has no layers`);
    this.layers = this.nodes.map((n) => n.layer!);
    const names = new Set([this.input.name]);
    for (const layer of this.layers) {
      if (names.has(layer.name)) throw new RangeError(`model '${this.name}': two layers (or a layer and the input) are named '${layer.name}'`);
      names.add(layer.name);
    }
    for (const node of this.nodes) for (const i of node.inputs) this.consumers.set(i, (this.consumers.get(i) ?? 0) + 1);
    this.build(args);
  }

  private build({ seed, maxWeights = MAX_WEIGHTS }: ModelArgs): void {
    const shapesOf = (node: SymbolicTensor) => node.inputs.map((t) => t.shape);
    let total = 0;
    for (const node of this.nodes) if (!node.layer!.built) total += node.layer!.countWeightsFor(shapesOf(node));
    if (total > Math.min(maxWeights, MAX_WEIGHTS)) {
      throw new RangeError(`model '${this.name}' would allocate ${total} weights, more than the limit ${Math.min(maxWeights, MAX_WEIGHTS)}`);
    }
    const random = randomFor(seed);
    for (const node of this.nodes) node.layer!.build(shapesOf(node), random);
  }

  get inputShape(): Shape {
    return this.input.shape;
  }

  get outputShape(): Shape {
    return this.output.shape;
  }

  getLayer(name: string): Layer {
    const layer = this.layers.find((l) => l.name === name);
    if (!layer) throw new RangeError(`model '${this.name}' has no layer '${name}'; layers: ${this.layers.map((l) => l.name).join(', ')}`);
    return layer;
  }

  /** Runs the layers on a batch x [N, ...inputShape]. */
  forward(x: Tensor, options: ForwardOptions = {}): Tensor {
    if (!(x instanceof Tensor)) throw new TypeError(`model '${this.name}': forward() takes a Tensor [N, ${this.inputShape.join(', ')}]`);
    if (x.rank !== this.inputShape.length + 1 || x.shape[0] < 1 || !sameShape(x.shape.slice(1), this.inputShape)) {
      throw new RangeError(`model '${this.name}': input must be [N, ${this.inputShape.join(', ')}] with N >= 1, got ${formatShape(x.shape)}`);
    }
    this.lastBatch = 0; // a forward that throws half-way leaves nothing to backpropagate
    this.values.set(this.input, x);
    for (const node of this.nodes) {
      this.values.set(node, node.layer!.forward(node.inputs.map((i) => this.values.get(i)!), options));
    }
    this.lastBatch = x.shape[0];
    const y = this.values.get(this.output)!;
    this.values.clear(); // drop the references to the caller's x
    return y;
  }

  /**
   * Backpropagates dy = dL/dy of the last forward: adds dL/dparam into every parameter's grad,
   * sums the gradients of tensors read by several layers, and returns dL/dx when inputGrad is set.
   */
  backward(dy: Tensor, { inputGrad = false }: { inputGrad?: boolean } = {}): Tensor | undefined {
    const N = this.lastBatch;
    if (N === 0) throw new RangeError(`model '${this.name}': backward() called before forward()`);
    if (!(dy instanceof Tensor) || dy.shape[0] !== N || !sameShape(dy.shape.slice(1), this.outputShape)) {
      throw new RangeError(`model '${this.name}': backward() expects dy [${N}, ${this.outputShape.join(', ')}] (the last output), got ${dy instanceof Tensor ? formatShape(dy.shape) : typeof dy}`);
    }
    this.grads.clear();
    this.grads.set(this.output, dy);
    for (let k = this.nodes.length - 1; k >= 0; k--) {
      const node = this.nodes[k];
      const needDx = node.inputs.map((i) => i !== this.input || inputGrad);
      const dxs = node.layer!.backward(this.grads.get(node)!, needDx);
      node.inputs.forEach((i, j) => {
        if (dxs[j]) this.accumulate(i, dxs[j]!, N);
      });
    }
    const dx = inputGrad ? this.grads.get(this.input) : undefined;
    this.grads.clear();
    return dx;
  }

  /** grads[node] += dx; a node read by several layers sums into a buffer of its own. */
  private accumulate(node: SymbolicTensor, dx: Tensor, N: number): void {
    if (this.consumers.get(node) === 1) {
      this.grads.set(node, dx);
      return;
    }
    const sum = this.gradBuffer(node, N);
    const previous = this.grads.get(node);
    if (previous === undefined) sum.data.set(dx.data);
    else add(sum, dx, sum);
    this.grads.set(node, sum);
  }

  private gradBuffer(node: SymbolicTensor, N: number): Tensor {
    let buffers = this.gradBuffers.get(N);
    if (!buffers) {
      if (this.gradBuffers.size >= CACHED_BATCH_SIZES) this.gradBuffers.delete(this.gradBuffers.keys().next().value!);
      this.gradBuffers.set(N, (buffers = new Map()));
    }
    let t = buffers.get(node);
    if (!t) buffers.set(node, (t = batchTensor(N, node.shape)));
    return t;
  }

  /** Every parameter (trainable and frozen), layer by layer. */
  parameters(): Parameter[] {
    return this.layers.flatMap((l) => l.parameters());
  }

  zeroGrad(): void {
    for (const l of this.layers) l.zeroGrad();
  }

  /** Every weight with its name, in getWeights order. */
  namedWeights(): NamedTensor[] {
    return this.layers.flatMap((l) => l.namedWeights());
  }

  getWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  /** Copies weights in (getWeights order); checks every count and shape before writing any. */
  setWeights(weights: readonly Tensor[]): void {
    const own = this.namedWeights();
    if (!Array.isArray(weights) || weights.length !== own.length) {
      throw new RangeError(`model '${this.name}': setWeights() expects ${own.length} tensors, got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    own.forEach((w, i) => {
      const src = weights[i];
      if (!(src instanceof Tensor) || !sameShape(src.shape, w.tensor.shape)) {
        throw new RangeError(`model '${this.name}': setWeights(): weight ${i} ('${w.name}') has shape ${formatShape(w.tensor.shape)}, got ${src instanceof Tensor ? formatShape(src.shape) : typeof src}`);
      }
    });
    own.forEach((w, i) => w.tensor.data.set(weights[i].data));
  }

  /** Weight elements (BatchNorm running statistics included, as Keras counts them). */
  countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /** A Keras-like table of the layers, output shapes and parameter counts; printed unless print is false. */
  summary({ print = true }: { print?: boolean } = {}): string {
    const text = formatSummary(this.name, this.input, this.nodes);
    if (print) console.log(text);
    return text;
  }

  toConfig(): ModelConfig {
    return {
      format: MODEL_CONFIG_FORMAT,
      version: MODEL_CONFIG_VERSION,
      name: this.name,
      input: { name: this.input.name, shape: [...this.inputShape] },
      layers: this.nodes.map((n) => ({ ...n.layer!.toConfig(), inbound: n.inputs.map((i) => i.name) })),
      output: this.output.name,
    };
  }

  /** Rebuilds a model from toConfig() JSON, validating it (it may come from a file). */
  static fromConfig(config: unknown, options: { seed?: number; maxWeights?: number } = {}): Model {
    const c = config as ModelConfig;
    const bad = (why: string): never => {
      throw new RangeError(`invalid model config: ${why}`);
    };
    if (c === null || typeof c !== 'object') bad('not an object');
    if (c.format !== MODEL_CONFIG_FORMAT) bad(`format must be '${MODEL_CONFIG_FORMAT}', got ${JSON.stringify(c.format)?.slice(0, 50)}`);
    if (c.version !== MODEL_CONFIG_VERSION) bad(`version ${JSON.stringify(c.version)?.slice(0, 20)} is not supported (this convkit reads version ${MODEL_CONFIG_VERSION})`);
    if (typeof c.name !== 'string' || c.name.length > 256) bad('name must be a string of at most 256 characters');
    if (!c.input || typeof c.input.name !== 'string') bad('input must be {name, shape}');
    checkSampleShape(c.input.shape, 'model config input');
    if (!Array.isArray(c.layers) || c.layers.length === 0 || c.layers.length > MAX_LAYERS) bad(`layers must be a list of 1 to ${MAX_LAYERS} layers`);
    const tensors = new Map<string, SymbolicTensor>([[c.input.name, symbolicInput(c.input.shape, { name: c.input.name })]]);
    c.layers.forEach((spec, k) => {
      if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.inbound) || spec.inbound.length === 0) {
        bad(`layer ${k} must be {className, config, inbound: [names]}`);
      }
      const inbound = spec.inbound.map((name) => tensors.get(name) ?? bad(`layer ${k} reads '${String(name).slice(0, 100)}', which is not an earlier layer or the input`));
      const layer = layerFromConfig(spec);
      if (tensors.has(layer.name)) bad(`two layers are named '${layer.name}'`);
      tensors.set(layer.name, layer.apply(inbound));
    });
    const output = tensors.get(c.output) ?? bad(`output '${String(c.output).slice(0, 100)}' is not a layer`);
    return new Model({ inputs: tensors.get(c.input.name)!, outputs: output, name: c.name, ...options });
  }
}

/** Closes a functional graph: model({inputs: x, outputs: y, name?, seed?}). */
export function model(args: ModelArgs): Model {
  return new Model(args);
}
