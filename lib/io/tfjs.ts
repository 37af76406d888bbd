// The TensorFlow.js Layers format (what tfjs `model.save()` writes and what Keras models become
// with tensorflowjs_converter): model.json = {modelTopology, weightsManifest: [{paths, weights:
// [{name, shape, dtype}]}]} plus binary shards holding the float32 weights back to back in
// manifest order.
//
// Keras is channels_last by default: images NHWC, conv kernels HWIO [KH, KW, C, O], Dense kernels
// [in, out]. convkit is NCHW / OIHW / [out, in]. Import and export convert the weights; a model
// input [H, W, C] becomes [C, H, W] (feed NCHW images), and a Dense layer reading a flattened
// feature map gets its rows permuted, because Flatten orders (h, w, c) in Keras and (c, h, w) here.
// channels_first models keep their layout (only the kernels are transposed).
//
// Supported Keras layers: InputLayer, Conv2D, Dense, MaxPooling2D, AveragePooling2D,
// GlobalAveragePooling2D, Flatten, Activation / ReLU / Softmax (relu, sigmoid, tanh, softmax,
// linear, also as the `activation` of Conv2D and Dense), Dropout, Concatenate, Add, BatchNormalization;
// others are named in the error. One input, one output; float32 weights only.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor, formatShape, type Shape } from '../tensor';
import { Model } from '../model';
import { input, type SymbolicTensor } from '../symbolic-tensor';
import { samePads } from '../ops/window';
import {
  Add, AvgPool2D, BatchNorm2D, Concat, Conv2D, Dense, Dropout, Flatten, GlobalAvgPool2D, MaxPool2D, ReLU, Sigmoid, Softmax, Tanh,
  type Layer,
} from '../layers';

export class ModelImportError extends Error {
  override name = 'ModelImportError';
}

const MAX_JSON_BYTES = 32 * 1024 * 1024;
const MAX_WEIGHT_BYTES = 2 ** 31;
const MAX_LAYERS = 100_000;
const WEIGHTS_FILE = 'group1-shard1of1.bin';

const fail = (why: string): never => {
  throw new ModelImportError(`TF.js model: ${why}`);
};

/** model.json plus the concatenated weight shards, as tfjs' IOHandler artifacts describe them. */
export interface TfjsArtifacts {
  modelTopology: Record<string, unknown>;
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  weightData: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Import

interface KerasLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  inbound: string[];
}

interface KerasGraph {
  name: string;
  layers: KerasLayer[];
  input: string;
  output: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Layer names a node reads: tfjs/Keras 2 [[[name, node, tensor, kwargs], ...]] or Keras 3 keras_history. */
function inboundNames(nodes: unknown, layer: string): string[] {
  if (!Array.isArray(nodes) || nodes.length === 0) return [];
  if (nodes.length > 1) fail(`layer '${layer}' is used more than once (shared layers are not supported)`);
  const names: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 8) return;
    if (Array.isArray(v)) {
      if (typeof v[0] === 'string' && typeof v[1] === 'number') names.push(v[0]);
      else for (const e of v) walk(e, depth + 1);
    } else if (isObject(v)) {
      const history = isObject(v.config) ? v.config.keras_history : undefined;
      if (Array.isArray(history) && typeof history[0] === 'string') names.push(history[0]);
      else if ('args' in v) walk(v.args, depth + 1);
    }
  };
  walk(nodes[0], 0);
  return names;
}

function kerasGraph(topology: unknown): KerasGraph {
  const top = isObject(topology) && isObject(topology.model_config) ? topology.model_config : topology;
  if (!isObject(top) || typeof top.class_name !== 'string' || !isObject(top.config)) fail('modelTopology must be {class_name, config}');
  const { class_name: cls, config } = top as { class_name: string; config: Record<string, unknown> };
  const name = typeof config.name === 'string' ? config.name : 'model';
  if (!Array.isArray(config.layers) || config.layers.length === 0 || config.layers.length > MAX_LAYERS) fail(`config.layers must be a list of 1 to ${MAX_LAYERS} layers`);
  const specs = (config.layers as unknown[]).map((item, i) => {
    if (!isObject(item) || typeof item.class_name !== 'string' || !isObject(item.config)) fail(`layer ${i} must be {class_name, config}`);
    const l = item as Record<string, unknown> & { config: Record<string, unknown> };
    const c = l.config;
    const layerName = typeof l.name === 'string' ? l.name : typeof c.name === 'string' ? c.name : fail(`layer ${i} has no name`);
    return { name: layerName, className: l.class_name as string, config: c, inbound: inboundNames(l.inbound_nodes, layerName) };
  });
  if (cls === 'Sequential') {
    const layers: KerasLayer[] = [];
    let previous: string;
    if (specs[0].className === 'InputLayer') {
      previous = specs[0].name;
      layers.push(specs.shift()!);
    } else {
      previous = `${name}_input`;
      layers.push({ name: previous, className: 'InputLayer', config: specs[0].config, inbound: [] });
    }
    for (const s of specs) {
      layers.push({ ...s, inbound: [previous] });
      previous = s.name;
    }
    return { name, layers, input: layers[0].name, output: previous };
  }
  if (cls !== 'Model' && cls !== 'Functional') fail(`model class '${cls.slice(0, 50)}' is not supported (Sequential, Model, Functional)`);
  const ends = (v: unknown, what: string): string => {
    const list = Array.isArray(v) && !Array.isArray(v[0]) && typeof v[0] === 'string' ? [v] : v;
    if (!Array.isArray(list) || list.length !== 1 || !Array.isArray(list[0]) || typeof list[0][0] !== 'string') fail(`${what} must name exactly one layer (convkit models have one input and one output)`);
    return (list as string[][])[0][0];
  };
  return { name, layers: specs, input: ends(config.input_layers, 'input_layers'), output: ends(config.output_layers, 'output_layers') };
}

/** A tensor of the graph being built, with what we know about its Keras layout. */
interface Node {
  t: SymbolicTensor;
  /** Set on a channels_last feature map [H, W, C] flattened: Keras orders it (h, w, c). */
  hwc: [number, number, number] | null;
}

type WeightGetter = (suffix: string, shape: number[]) => Float32Array;

interface Pending {
  layer: Layer;
  /** The Keras layer name (weights are named '<keras>/<suffix>'). */
  keras: string;
  /** Reads the Keras weights and returns the convkit ones (getWeights order). */
  weights: (get: WeightGetter) => Tensor[];
}

const activationLayer = (act: unknown, name: string): Layer | null => {
  switch (act ?? 'linear') {
    case 'linear': return null;
    case 'relu': return new ReLU({ name });
    case 'sigmoid': return new Sigmoid({ name });
    case 'tanh': return new Tanh({ name });
    case 'softmax': return new Softmax({ name });
    default: return fail(`activation '${String(act).slice(0, 40)}' of '${name}' is not supported (relu, sigmoid, tanh, softmax, linear)`);
  }
};

const pairOf = (v: unknown, what: string): [number, number] => {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= 1 && d <= 2 ** 20)) fail(`${what} must be a positive integer or pair, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return p as [number, number];
};

/** [KH, KW, C, O] -> [O, C, KH, KW]. */
function hwioToOihw(src: Float32Array, [KH, KW, C, O]: number[]): Tensor {
  const out = new Float32Array(src.length);
  for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) {
    out[((o * C + c) * KH + kh) * KW + kw] = src[((kh * KW + kw) * C + c) * O + o];
  }
  return new Tensor(out, [O, C, KH, KW]);
}

/** Keras Dense [in, out] -> [out, in]; rows of a flattened (h, w, c) map reordered to (c, h, w). */
function denseKernel(src: Float32Array, IN: number, OUT: number, hwc: [number, number, number] | null): Tensor {
  const out = new Float32Array(src.length);
  const [H, W, C] = hwc ?? [1, 1, IN];
  for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) {
    const keras = (h * W + w) * C + c;
    const ours = (c * H + h) * W + w;
    for (let o = 0; o < OUT; o++) out[o * IN + ours] = src[keras * OUT + o];
  }
  return new Tensor(out, [OUT, IN]);
}

/** TF 'same' padding of a window as symmetric pads, or an error when TF would pad unevenly. */
function samePoolPads(shape: Shape, [kh, kw]: [number, number], [sh, sw]: [number, number], layer: string): [number, number] {
  return [[shape[1], kh, sh], [shape[2], kw, sw]].map(([size, k, s]) => {
    const total = Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
    if (total % 2 !== 0) fail(`pooling layer '${layer}': 'same' padding pads unevenly here (input ${formatShape(shape)}); convkit pools pad symmetrically`);
    return total / 2;
  }) as [number, number];
}

class Importer {
  private readonly nodes = new Map<string, Node>();
  readonly pending: Pending[] = [];
  private channelsFirst = false;

  constructor(private readonly graph: KerasGraph) {}

  build(): Model {
    const formats = new Set(this.graph.layers.map((l) => l.config.data_format).filter((f) => f !== undefined && f !== null));
    if (formats.size > 1) fail('layers mix channels_first and channels_last');
    this.channelsFirst = formats.has('channels_first');
    // Keras lists the layers of a model in topological order: each reads layers listed before it.
    for (const l of this.graph.layers) {
      if (this.nodes.has(l.name)) fail(`two layers are named '${l.name.slice(0, 100)}'`);
      if (l.className === 'InputLayer' || l.name === this.graph.input) {
        if (l.name !== this.graph.input) fail(`input layer '${l.name}' is not the model input '${this.graph.input}'`);
        this.nodes.set(l.name, { t: input(this.inputShape(l), { name: l.name }), hwc: null });
        continue;
      }
      if (l.inbound.length === 0) fail(`layer '${l.name}' has no inbound nodes`);
      const inputs = l.inbound.map((n) => this.nodes.get(n) ?? fail(`layer '${l.name}' reads '${n.slice(0, 100)}', which is not a layer listed before it`));
      this.nodes.set(l.name, this.convert(l, inputs));
    }
    const out = this.nodes.get(this.graph.output) ?? fail(`the output '${this.graph.output.slice(0, 100)}' is not a layer`);
    if (out.hwc) fail(`the output '${this.graph.output}' is a flattened channels_last feature map, whose element order differs in convkit`);
    return new Model({ inputs: this.nodes.get(this.graph.input)!.t, outputs: out.t, name: this.graph.name.replace(/[^\w.-]/g, '_').slice(0, 128) || 'model' });
  }

  private inputShape(l: KerasLayer): Shape {
    const s = (l.config.batch_input_shape ?? l.config.batch_shape) as unknown[];
    if (!Array.isArray(s) || s.length < 2 || !s.slice(1).every((d) => Number.isInteger(d) && (d as number) >= 1)) fail(`input '${l.name}' needs a fixed batch_input_shape [null, ...], got ${JSON.stringify(s)?.slice(0, 60)}`);
    const sample = s.slice(1) as number[];
    if (sample.length === 3 && !this.channelsFirst) return [sample[2], sample[0], sample[1]];
    if (sample.length === 3 || sample.length === 1) return sample;
    return fail(`input '${l.name}' has shape ${formatShape(sample)}; convkit imports images [H, W, C] or vectors [F]`);
  }

  /** Applies `layer` (and an optional activation after it); weights are read later. */
  private add(x: SymbolicTensor, layer: Layer, keras: string, weights: Pending['weights'] | null, activation: unknown, hwc: Node['hwc'] = null): Node {
    if (weights) this.pending.push({ layer, keras, weights });
    let t = layer.apply(x);
    const act = activationLayer(activation, `${layer.name}_${String(activation)}`);
    if (act) t = act.apply(t);
    return { t, hwc };
  }

  private convert(l: KerasLayer, inputs: Node[]): Node {
    const c = l.config;
    const name = l.name.replace(/[^\w.-]/g, '_').slice(0, 120);
    const [x] = inputs;
    const one = () => {
      if (inputs.length !== 1) fail(`layer '${l.name}' (${l.className}) must have one input, got ${inputs.length}`);
      return x.t;
    };
    const image = () => {
      const t = one();
      if (t.shape.length !== 3) fail(`layer '${l.name}' (${l.className}) expects an image input, got ${formatShape(t.shape)}`);
      return t;
    };
    const flatOk = () => {
      if (x.hwc && !['Dense', 'Dropout', 'Activation', 'ReLU', 'Add'].includes(l.className)) fail(`layer '${l.name}' (${l.className}) reads a flattened channels_last feature map; convkit orders it differently`);
    };
    flatOk();
    const useBias = c.use_bias !== false;
    switch (l.className) {
      case 'Conv2D': {
        const t = image();
        if (c.padding !== 'valid' && c.padding !== 'same') fail(`Conv2D '${l.name}': padding '${c.padding}' is not supported`);
        const groups = (c.groups as number | undefined) ?? 1;
        const layer = new Conv2D({ name, filters: c.filters as number, kernelSize: pairOf(c.kernel_size, 'kernel_size'), strides: pairOf(c.strides ?? 1, 'strides'), padding: c.padding as 'valid' | 'same', dilation: pairOf(c.dilation_rate ?? 1, 'dilation_rate'), groups, useBias });
        return this.add(t, layer, l.name, (get) => {
          const [KH, KW] = layer.kernelSize;
          const shape = [KH, KW, t.shape[0] / groups, layer.filters];
          return [hwioToOihw(get('kernel', shape), shape), ...(useBias ? [new Tensor(get('bias', [layer.filters]), [layer.filters])] : [])];
        }, c.activation);
      }
      case 'Dense': {
        const t = one();
        if (t.shape.length !== 1) fail(`Dense '${l.name}' reads ${formatShape(t.shape)}; convkit's Dense takes vectors (Flatten first)`);
        const units = c.units as number;
        const layer = new Dense({ name, units, useBias });
        return this.add(t, layer, l.name, (get) => [denseKernel(get('kernel', [t.shape[0], units]), t.shape[0], units, x.hwc), ...(useBias ? [new Tensor(get('bias', [units]), [units])] : [])], c.activation);
      }
      case 'Flatten': {
        const t = one();
        const s = t.shape;
        const reorders = !this.channelsFirst && s.length === 3 && s[0] > 1 && s[1] * s[2] > 1;
        return { t: new Flatten({ name }).apply(t), hwc: reorders ? [s[1], s[2], s[0]] : null };
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const t = image();
        const poolSize = pairOf(c.pool_size, 'pool_size');
        const strides = pairOf(c.strides ?? poolSize, 'strides');
        if (c.padding !== 'valid' && c.padding !== 'same') fail(`${l.className} '${l.name}': padding '${c.padding}' is not supported`);
        const padding = c.padding === 'same' ? samePoolPads(t.shape, poolSize, strides, l.name) : [0, 0];
        const args = { name, poolSize, strides, padding };
        return this.add(t, l.className === 'MaxPooling2D' ? new MaxPool2D(args) : new AvgPool2D({ ...args, countIncludePad: false }), l.name, null, undefined);
      }
      case 'GlobalAveragePooling2D':
        return this.add(image(), new GlobalAvgPool2D({ name, keepDims: c.keepdims === true }), l.name, null, undefined);
      case 'Activation':
        return { t: (activationLayer(c.activation, name) ?? fail(`Activation '${l.name}': 'linear' needs no layer`)).apply(one()), hwc: x.hwc };
      case 'ReLU':
        if ((c.max_value ?? null) !== null || (c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0) fail(`ReLU '${l.name}': only the plain ReLU (no max_value, negative_slope, threshold) is supported`);
        return { t: new ReLU({ name }).apply(one()), hwc: x.hwc };
      case 'Softmax':
        if (one().shape.length !== 1) fail(`Softmax '${l.name}' is supported on vectors only`);
        return { t: new Softmax({ name }).apply(x.t), hwc: null };
      case 'Dropout':
        return { t: new Dropout({ name, rate: c.rate as number }).apply(one()), hwc: x.hwc };
      case 'Concatenate': {
        const rank = x.t.shape.length;
        const axis = (c.axis as number | undefined) ?? -1;
        const keras = axis < 0 ? axis + rank + 1 : axis; // 1-based over the batch tensor
        const ours = rank === 3 && !this.channelsFirst ? [0, 2, 3, 1][keras] : keras;
        if (!(keras >= 1 && keras <= rank) || ours === undefined) fail(`Concatenate '${l.name}': axis ${axis} is out of range for rank ${rank + 1}`);
        if (inputs.some((n) => n.hwc)) fail(`Concatenate '${l.name}' joins flattened channels_last feature maps; convkit orders them differently`);
        return { t: new Concat({ name, axis: ours }).apply(inputs.map((n) => n.t)), hwc: null };
      }
      case 'Add': {
        const tag = JSON.stringify(x.hwc);
        if (inputs.some((n) => JSON.stringify(n.hwc) !== tag)) fail(`Add '${l.name}' sums flattened feature maps of different layouts`);
        return { t: new Add({ name }).apply(inputs.map((n) => n.t)), hwc: x.hwc };
      }
      case 'BatchNormalization': {
        const t = one();
        const rank = t.shape.length;
        const axis = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : (c.axis ?? -1);
        const channelAxis = this.channelsFirst || rank === 1 ? 1 : rank;
        if (axis !== channelAxis && axis !== channelAxis - rank - 1) fail(`BatchNormalization '${l.name}': axis ${JSON.stringify(c.axis)} is not the channel axis`);
        const momentum = (c.momentum as number | undefined) ?? 0.99;
        const layer = new BatchNorm2D({ name, momentum: 1 - momentum, epsilon: (c.epsilon as number | undefined) ?? 1e-3 });
        const C = t.shape[0];
        const vector = (get: WeightGetter, key: string, present: boolean, fill: number) => new Tensor(present ? get(key, [C]) : new Float32Array(C).fill(fill), [C]);
        return this.add(t, layer, l.name, (get) => [
          vector(get, 'gamma', c.scale !== false, 1),
          vector(get, 'beta', c.center !== false, 0),
          vector(get, 'moving_mean', true, 0),
          vector(get, 'moving_variance', true, 1),
        ], undefined);
      }
      default:
        return fail(`layer '${l.name}' of class ${l.className.slice(0, 60)} is not supported (supported: InputLayer, Conv2D, Dense, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Activation, ReLU, Softmax, Dropout, Concatenate, Add, BatchNormalization)`);
    }
  }
}

/** Float32 views of the weights by manifest name, after checking that sizes add up. */
function weightMap(specs: TfjsArtifacts['weightSpecs'], data: Uint8Array): Map<string, { shape: number[]; data: Float32Array }> {
  const map = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const [i, s] of specs.entries()) {
    if (!isObject(s) || typeof s.name !== 'string' || !Array.isArray(s.shape) || !s.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`weight ${i} must be {name, shape, dtype}`);
    if (s.dtype !== 'float32' || 'quantization' in s) fail(`weight '${s.name}' is ${'quantization' in s ? 'quantized' : s.dtype}; convkit imports float32 weights`);
    const bytes = 4 * s.shape.reduce((a, b) => a * b, 1);
    if (offset + bytes > data.length) fail(`the weight files hold ${data.length} bytes, fewer than the manifest needs (weight '${s.name}' ends at ${offset + bytes})`);
    const copy = new Float32Array(bytes / 4);
    new Uint8Array(copy.buffer).set(data.subarray(offset, offset + bytes));
    map.set(s.name.replace(/:0$/, ''), { shape: s.shape, data: copy });
    offset += bytes;
  }
  if (offset !== data.length) fail(`the weight files hold ${data.length} bytes but the manifest describes ${offset}`);
  return map;
}

/** A convkit Model from TF.js Layers artifacts (model.json topology, weight specs and bytes). */
export function fromTfjsArtifacts(artifacts: TfjsArtifacts): Model {
  const graph = kerasGraph(artifacts.modelTopology);
  const importer = new Importer(graph);
  const model = importer.build();
  const weights = weightMap(artifacts.weightSpecs, artifacts.weightData);
  const used = new Set<string>();
  for (const { layer, keras, weights: read } of importer.pending) {
    const get: WeightGetter = (suffix, shape) => {
      const key = [`${keras}/${suffix}`, ...[...weights.keys()].filter((k) => k.endsWith(`/${keras}/${suffix}`))].find((k) => weights.has(k));
      if (!key) return fail(`no weight '${keras}/${suffix}' in the manifest`);
      const w = weights.get(key)!;
      if (w.shape.join() !== shape.join()) fail(`weight '${key}' has shape ${formatShape(w.shape)}, expected ${formatShape(shape)}`);
      used.add(key);
      return w.data;
    };
    layer.setWeights(read(get));
  }
  const unused = [...weights.keys()].filter((k) => !used.has(k));
  if (unused.length > 0) fail(`weights not used by any layer: ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', ...' : ''}`);
  return model;
}

async function readBounded(file: string, max: number, what: string): Promise<Buffer> {
  const stat = await fs.stat(file).catch(() => fail(`${what} ${file} does not exist`));
  if (!stat.isFile()) fail(`${what} ${file} is not a file`);
  if (stat.size > max) fail(`${what} ${file} is ${stat.size} bytes, more than the limit ${max}`);
  return fs.readFile(file);
}

/**
 * Loads a TF.js Layers model: `where` is a directory holding model.json, the model.json path, or
 * a file:// URL of either (no network). Shards are read from model.json's directory.
 */
export async function loadLayersModel(where: string): Promise<Model> {
  let file = where.startsWith('file://') ? fileURLToPath(where) : where;
  if (/^[a-z]+:\/\//i.test(file)) fail(`only local paths and file:// URLs are read, got ${where.slice(0, 100)}`);
  if ((await fs.stat(file).catch(() => null))?.isDirectory()) file = path.join(file, 'model.json');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse((await readBounded(file, MAX_JSON_BYTES, 'model file')).toString('utf8'));
  } catch (e) {
    if (e instanceof ModelImportError) throw e;
    return fail(`${file} is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(json) || !isObject(json.modelTopology)) fail(`${file} has no modelTopology`);
  const manifest = (json.weightsManifest ?? []) as unknown[];
  if (!Array.isArray(manifest)) fail('weightsManifest must be a list of {paths, weights}');
  const dir = path.dirname(file);
  const shards: Buffer[] = [];
  const weightSpecs: TfjsArtifacts['weightSpecs'] = [];
  let total = 0;
  for (const item of manifest) {
    if (!isObject(item) || !Array.isArray(item.paths) || !Array.isArray(item.weights)) fail('weightsManifest groups must be {paths, weights}');
    const group = item as { paths: unknown[]; weights: unknown[] };
    for (const p of group.paths as unknown[]) {
      if (typeof p !== 'string' || path.isAbsolute(p) || p.split(/[\\/]/).includes('..')) fail(`weight path ${JSON.stringify(p)?.slice(0, 100)} must be a relative path inside the model directory`);
      const shard = await readBounded(path.join(dir, p as string), MAX_WEIGHT_BYTES - total, 'weight shard');
      total += shard.length;
      shards.push(shard);
    }
    weightSpecs.push(...(group.weights as TfjsArtifacts['weightSpecs']));
  }
  return fromTfjsArtifacts({ modelTopology: json.modelTopology as Record<string, unknown>, weightSpecs, weightData: Buffer.concat(shards) });
}

// ---------------------------------------------------------------------------------------------
// Export

interface Exported {
  className: string;
  config: Record<string, unknown>;
  /** Keras weights: suffix, shape, data. */
  weights: { suffix: string; shape: number[]; data: Float32Array }[];
}

/** Our symmetric pads as a Keras padding, or an error when Keras cannot express them. */
function kerasPadding(pads: readonly [number, number], same: readonly [number, number, number, number], layer: string): 'valid' | 'same' {
  if (pads[0] === 0 && pads[1] === 0) return 'valid';
  if (same[0] === pads[0] && same[1] === pads[0] && same[2] === pads[1] && same[3] === pads[1]) return 'same';
  return fail(`layer '${layer}': padding [${pads.join(', ')}] is neither 'valid' nor TensorFlow's 'same' for this input, so Keras cannot express it`);
}

/** OIHW -> HWIO. */
function oihwToHwio(w: Tensor): Float32Array {
  const [O, C, KH, KW] = w.shape;
  const out = new Float32Array(w.size);
  for (let o = 0; o < O; o++) for (let c = 0; c < C; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
    out[((kh * KW + kw) * C + c) * O + o] = w.data[((o * C + c) * KH + kh) * KW + kw];
  }
  return out;
}

/** [out, in] -> Keras [in, out], rows of a flattened [C, H, W] map reordered to (h, w, c). */
function kerasDenseKernel(w: Tensor, chw: Shape | null): Float32Array {
  const [OUT, IN] = w.shape;
  const [C, H, W] = chw ?? [IN, 1, 1];
  const out = new Float32Array(w.size);
  for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let x = 0; x < W; x++) {
    const ours = (c * H + h) * W + x;
    const keras = (h * W + x) * C + c;
    for (let o = 0; o < OUT; o++) out[keras * OUT + o] = w.data[o * IN + ours];
  }
  return out;
}

const ACTIVATIONS: Record<string, string> = { ReLU: 'relu', Sigmoid: 'sigmoid', Tanh: 'tanh', Softmax: 'softmax' };

function exportLayer(layer: Layer, inputs: readonly SymbolicTensor[], flatFrom: Shape | null): Exported {
  const [x] = inputs.map((t) => t.shape);
  const w = layer.namedWeights().map((n) => n.tensor);
  const base = { name: layer.name, trainable: layer.trainable };
  if (layer instanceof Conv2D) {
    if (layer.groups !== 1) fail(`Conv2D '${layer.name}': grouped convolutions are not exported (tfjs-layers has no groups)`);
    const [KH, KW] = layer.kernelSize;
    const padding = typeof layer.padding === 'string' ? layer.padding
      : kerasPadding(layer.padding, [...samePads(x[1], KH, layer.stride[0], layer.dilation[0]), ...samePads(x[2], KW, layer.stride[1], layer.dilation[1])], layer.name);
    return {
      className: 'Conv2D',
      config: { ...base, filters: layer.filters, kernel_size: [KH, KW], strides: layer.stride, padding, data_format: 'channels_last', dilation_rate: layer.dilation, activation: 'linear', use_bias: layer.useBias },
      weights: [{ suffix: 'kernel', shape: [KH, KW, x[0], layer.filters], data: oihwToHwio(w[0]) }, ...(layer.useBias ? [{ suffix: 'bias', shape: [layer.filters], data: w[1].data }] : [])],
    };
  }
  if (layer instanceof Dense) {
    return {
      className: 'Dense',
      config: { ...base, units: layer.units, activation: 'linear', use_bias: layer.useBias },
      weights: [{ suffix: 'kernel', shape: [x[0], layer.units], data: kerasDenseKernel(w[0], flatFrom) }, ...(layer.useBias ? [{ suffix: 'bias', shape: [layer.units], data: w[1].data }] : [])],
    };
  }
  if (layer instanceof MaxPool2D || layer instanceof AvgPool2D) {
    const [kh, kw] = layer.poolSize;
    const [sh, sw] = layer.stride;
    const padding = kerasPadding(layer.padding, [...samePads(x[1], kh, sh), ...samePads(x[2], kw, sw)], layer.name);
    if (layer instanceof AvgPool2D && padding === 'same' && layer.countIncludePad) fail(`AvgPool2D '${layer.name}': Keras 'same' average pooling does not count padding (countIncludePad: false needed)`);
    return { className: layer instanceof MaxPool2D ? 'MaxPooling2D' : 'AveragePooling2D', config: { ...base, pool_size: layer.poolSize, strides: layer.stride, padding, data_format: 'channels_last' }, weights: [] };
  }
  if (layer instanceof GlobalAvgPool2D) {
    if (layer.keepDims) fail(`GlobalAvgPool2D '${layer.name}': keepDims is not exported`);
    return { className: 'GlobalAveragePooling2D', config: { ...base, data_format: 'channels_last' }, weights: [] };
  }
  if (layer instanceof Flatten) return { className: 'Flatten', config: base, weights: [] };
  if (layer instanceof Dropout) return { className: 'Dropout', config: { ...base, rate: layer.rate }, weights: [] };
  if (layer.className in ACTIVATIONS) return { className: 'Activation', config: { ...base, activation: ACTIVATIONS[layer.className] }, weights: [] };
  if (layer instanceof Concat) {
    const rank = x.length;
    const axis = rank === 3 ? [0, 3, 1, 2][layer.axis] : layer.axis;
    return { className: 'Concatenate', config: { ...base, axis }, weights: [] };
  }
  if (layer instanceof Add) return { className: 'Add', config: base, weights: [] };
  if (layer instanceof BatchNorm2D) {
    const C = x[0];
    return {
      className: 'BatchNormalization',
      config: { ...base, axis: -1, momentum: 1 - layer.momentum, epsilon: layer.epsilon, center: true, scale: true },
      weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((suffix, i) => ({ suffix, shape: [C], data: w[i].data })),
    };
  }
  return fail(`layer '${layer.name}' (${layer.className}) has no TF.js Layers equivalent here`);
}

/** The model as TF.js Layers artifacts (functional "Model" topology, channels_last). */
export function toTfjsArtifacts(model: Model): TfjsArtifacts {
  const inShape = model.inputShape;
  if (inShape.length !== 3 && inShape.length !== 1) fail(`input ${formatShape(inShape)}: only images [C, H, W] and vectors are exported`);
  const kerasInput = inShape.length === 3 ? [inShape[1], inShape[2], inShape[0]] : [...inShape];
  const layers: Record<string, unknown>[] = [{ name: model.input.name, class_name: 'InputLayer', config: { batch_input_shape: [null, ...kerasInput], dtype: 'float32', sparse: false, name: model.input.name }, inbound_nodes: [] }];
  const weightSpecs: TfjsArtifacts['weightSpecs'] = [];
  const chunks: Float32Array[] = [];
  /** Tensors holding a flattened [C, H, W] map (through Dropout and activations), by name. */
  const flattened = new Map<string, Shape>();
  for (const layer of model.layers) {
    const inputs = layer.output!.inputs;
    const from = flattened.get(inputs[0].name) ?? null;
    const e = exportLayer(layer, inputs, from);
    const s = inputs[0].shape;
    if (layer instanceof Flatten && s.length === 3 && s[0] > 1 && s[1] * s[2] > 1) flattened.set(layer.name, s);
    else if (from && (layer instanceof Dropout || layer.className in ACTIVATIONS) && layer.className !== 'Softmax') flattened.set(layer.name, from);
    else if (from && !(layer instanceof Dense)) fail(`layer '${layer.name}' (${layer.className}) reads a flattened feature map, whose order differs in Keras`);
    layers.push({ name: layer.name, class_name: e.className, config: e.config, inbound_nodes: [inputs.map((t) => [t.name, 0, 0, {}])] });
    for (const w of e.weights) {
      weightSpecs.push({ name: `${layer.name}/${w.suffix}`, shape: w.shape, dtype: 'float32' });
      chunks.push(w.data);
    }
  }
  if (flattened.has(model.output.name)) fail(`the output '${model.output.name}' is a flattened feature map, whose order differs in Keras`);
  const weightData = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    weightData.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), offset);
    offset += c.byteLength;
  }
  const modelTopology = {
    class_name: 'Model',
    config: { name: model.name, layers, input_layers: [[model.input.name, 0, 0]], output_layers: [[model.output.name, 0, 0]] },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
  return { modelTopology, weightSpecs, weightData };
}

/** Writes model.json and one weight shard into `dir` (created if needed); loadable by tf.loadLayersModel. */
export async function saveLayersModel(model: Model, dir: string): Promise<void> {
  const { modelTopology, weightSpecs, weightData } = toTfjsArtifacts(model);
  await fs.mkdir(dir, { recursive: true });
  const json = { format: 'layers-model', generatedBy: 'convkit', convertedBy: null, modelTopology, weightsManifest: [{ paths: [WEIGHTS_FILE], weights: weightSpecs }] };
  await fs.writeFile(path.join(dir, WEIGHTS_FILE), weightData);
  await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
}
