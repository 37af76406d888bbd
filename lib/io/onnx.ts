// ONNX import and export (opset 9 and later). ONNX is NCHW with OIHW kernels like convkit, so
// weights are copied as they are (Gemm/MatMul matrices transposed to Dense's [out, in]).
//
// Import reads ModelProto -> GraphProto (nodes in topological order, initializers as constants)
// and maps the operators Conv, MaxPool, AveragePool, GlobalAveragePool, Gemm, MatMul, Add / Sum
// (of computed tensors: an Add layer; of a per-channel constant after Conv/Gemm/MatMul: folded
// into its bias), Relu, Sigmoid, Tanh, Softmax, Concat, Flatten, Reshape (to [N, features]),
// Dropout, BatchNormalization, Identity and Constant onto layers; any other operator fails with
// an error naming every unsupported node. Conv and Dense layers always get a bias (zeros when the
// file has none) so that a following Add can fold into it. One input [N, C, H, W] or [N, F], one
// output, same-shape Adds only (no broadcasting of computed tensors).
//
// Export writes opset 13: Conv, Gemm (transB = 1), MaxPool, AveragePool, GlobalAveragePool
// (+ Flatten), Flatten, Relu, Sigmoid, Tanh, Softmax (axis 1), Concat, Add (Sum for more than two
// inputs), BatchNormalization, and Identity for Dropout (inference graphs).
import fs from 'node:fs/promises';
import { Tensor, formatShape, type Shape } from '../tensor';
import { Model } from '../model';
import { input, type SymbolicTensor } from '../symbolic-tensor';
import {
  Add, AvgPool2D, BatchNorm2D, Concat, Conv2D, Dense, Dropout, Flatten, GlobalAvgPool2D, MaxPool2D, ReLU, Sigmoid, Softmax, Tanh,
  type Layer,
} from '../layers';
import { ProtoWriter, ProtobufError, int64, littleEndianFloats, readFields, repeatedFloats, repeatedInts, utf8, type Field } from './protobuf';
import { ModelImportError } from './tfjs';
import { samePads } from '../ops/window';

export { ModelImportError };

const MAX_FILE_BYTES = 2 ** 31 - 1;
const MAX_NODES = 100_000;
const EXPORT_OPSET = 13;
const FLOAT = 1;
const INT64 = 7;

const fail = (why: string): never => {
  throw new ModelImportError(`ONNX model: ${why}`);
};

// ---------------------------------------------------------------------------------------------
// Reading the messages

interface OnnxTensor {
  name: string;
  dims: number[];
  /** Float data (FLOAT tensors) or integer data (INT64/INT32 tensors) as numbers. */
  data: Float32Array | number[];
}

type AttrValue = number | number[] | string | OnnxTensor;

interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttrValue>;
}

interface OnnxValueInfo {
  name: string;
  /** Dimensions; null where symbolic (e.g. the batch). */
  shape: (number | null)[] | null;
}

interface OnnxGraph {
  opset: number;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  name: string;
}

const strings = (fields: Field[], field: number) => fields.filter((f) => f.field === field).map((f) => utf8(f.bytes));
const str = (fields: Field[], field: number) => strings(fields, field).at(-1) ?? '';
const sub = (fields: Field[], field: number) => fields.filter((f) => f.field === field).map((f) => readFields(f.bytes));
const scalar = (fields: Field[], field: number) => fields.filter((f) => f.field === field).at(-1)?.value;

function readTensor(bytes: Uint8Array): OnnxTensor {
  const f = readFields(bytes);
  const name = str(f, 8);
  const dims = repeatedInts(f, 1, `tensor '${name}' dimension`);
  if (dims.some((d) => d < 0)) fail(`tensor '${name}' has a negative dimension ${formatShape(dims)}`);
  const count = dims.reduce((a, b) => a * b, 1);
  const type = Number(scalar(f, 2) ?? 0n);
  if (Number(scalar(f, 14) ?? 0n) === 1) fail(`tensor '${name}' keeps its data in an external file, which is not supported`);
  const raw = f.find((x) => x.field === 9)?.bytes;
  if (type === FLOAT) {
    if (raw) {
      if (raw.length !== 4 * count) fail(`tensor '${name}' ${formatShape(dims)} needs ${4 * count} bytes of raw_data, has ${raw.length}`);
      return { name, dims, data: littleEndianFloats(raw) };
    }
    const data = repeatedFloats(f, 4);
    if (data.length !== count) fail(`tensor '${name}' ${formatShape(dims)} needs ${count} floats, has ${data.length}`);
    return { name, dims, data };
  }
  if (type === INT64 || type === 6) {
    let data: number[];
    if (raw) {
      const width = type === INT64 ? 8 : 4;
      if (raw.length !== width * count) fail(`tensor '${name}' ${formatShape(dims)} needs ${width * count} bytes of raw_data, has ${raw.length}`);
      const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
      data = Array.from({ length: count }, (_, i) => (width === 8 ? int64(view.getBigUint64(8 * i, true), `tensor '${name}' value`) : view.getInt32(4 * i, true)));
    } else {
      data = repeatedInts(f, type === INT64 ? 7 : 5, `tensor '${name}' value`).map((v) => (type === 6 ? v | 0 : v));
    }
    if (data.length !== count) fail(`tensor '${name}' ${formatShape(dims)} needs ${count} values, has ${data.length}`);
    return { name, dims, data };
  }
  return fail(`tensor '${name}' has data type ${type}; convkit reads float32 (1) and int64/int32 (7/6) tensors`);
}

function readAttribute(bytes: Uint8Array): [string, AttrValue] {
  const f = readFields(bytes);
  const name = str(f, 1);
  const type = Number(scalar(f, 20) ?? 0n);
  switch (type) {
    case 1: return [name, repeatedFloats(f, 2)[0] ?? fail(`attribute '${name}' has no float value`)];
    case 2: return [name, int64(scalar(f, 3) ?? 0n, `attribute '${name}'`)];
    case 3: return [name, str(f, 4)];
    case 4: return [name, readTensor(f.find((x) => x.field === 5)?.bytes ?? new Uint8Array(0))];
    case 6: return [name, Array.from(repeatedFloats(f, 7))];
    case 7: return [name, repeatedInts(f, 8, `attribute '${name}'`)];
    default: return [name, `<unsupported attribute type ${type}>`];
  }
}

function readValueInfo(bytes: Uint8Array): OnnxValueInfo {
  const f = readFields(bytes);
  const tensorType = sub(f, 2).flatMap((t) => sub(t, 1))[0];
  const shape = tensorType ? sub(tensorType, 2)[0] : undefined;
  const dims = shape ? sub(shape, 1).map((d) => (d.some((x) => x.field === 1) ? int64(scalar(d, 1)!, 'dimension') : null)) : null;
  return { name: str(f, 1), shape: dims };
}

function readModel(bytes: Uint8Array): OnnxGraph {
  const model = readFields(bytes);
  const opsets = sub(model, 8).filter((o) => ['', 'ai.onnx'].includes(str(o, 1)));
  const opset = opsets.length > 0 ? int64(scalar(opsets[0], 2) ?? 0n, 'opset') : 1;
  const graphs = sub(model, 7);
  if (graphs.length !== 1) fail(graphs.length === 0 ? 'no graph (is this an ONNX ModelProto?)' : 'more than one graph');
  const g = graphs[0];
  const nodeFields = sub(g, 1);
  if (nodeFields.length > MAX_NODES) fail(`${nodeFields.length} nodes, more than the limit ${MAX_NODES}`);
  const nodes = nodeFields.map((n) => ({
    opType: str(n, 4),
    name: str(n, 3),
    inputs: strings(n, 1),
    outputs: strings(n, 2),
    attrs: new Map(n.filter((x) => x.field === 5).map((x) => readAttribute(x.bytes))),
    domain: str(n, 7),
  }));
  const custom = nodes.find((n) => n.domain !== '' && n.domain !== 'ai.onnx');
  if (custom) fail(`node '${custom.name}' is in operator domain '${custom.domain}'; only the default ONNX domain is supported`);
  const initializers = new Map(g.filter((x) => x.field === 5).map((x) => {
    const tensor = readTensor(x.bytes);
    return [tensor.name, tensor] as const;
  }));
  return {
    opset,
    nodes,
    initializers,
    inputs: g.filter((x) => x.field === 11).map((x) => readValueInfo(x.bytes)),
    outputs: g.filter((x) => x.field === 12).map((x) => readValueInfo(x.bytes)),
    name: str(g, 2),
  };
}

// ---------------------------------------------------------------------------------------------
// Import

const SUPPORTED = new Set([
  'Conv', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Gemm', 'MatMul', 'Add', 'Sum', 'Relu', 'Sigmoid', 'Tanh', 'Softmax',
  'Concat', 'Flatten', 'Reshape', 'Dropout', 'BatchNormalization', 'Identity', 'Constant',
]);

type Value = { kind: 'const'; c: OnnxTensor } | { kind: 'tensor'; t: SymbolicTensor; bias?: Float32Array };

/** Conv and Dense weights waiting for the model to be built; the bias may still get an Add folded in. */
interface Pending {
  layer: Layer;
  weights: Tensor[];
}

type Widened<T> = T extends number ? number : T extends string ? string : T;

function attr<T extends AttrValue>(node: OnnxNode, name: string, fallback: T): Widened<T> {
  const v = node.attrs.get(name);
  if (v === undefined) return fallback as Widened<T>;
  if (typeof v !== typeof fallback || Array.isArray(v) !== Array.isArray(fallback)) fail(`node '${node.name}' (${node.opType}): attribute ${name} has the wrong type`);
  return v as Widened<T>;
}

/** Every node convkit cannot map, named in one message. */
function checkSupported(graph: OnnxGraph): void {
  const problems = graph.nodes.filter((n) => !SUPPORTED.has(n.opType)).map((n) => `${n.opType.slice(0, 60)} (node '${n.name.slice(0, 100)}')`);
  if (problems.length > 0) fail(`unsupported operators: ${problems.join(', ')}`);
}

class OnnxImporter {
  private readonly values = new Map<string, Value>();
  private readonly consumers = new Map<string, number>();
  private readonly names = new Set<string>();
  readonly pending: Pending[] = [];

  constructor(private readonly graph: OnnxGraph) {
    for (const [name, c] of graph.initializers) this.values.set(name, { kind: 'const', c });
    for (const n of graph.nodes) for (const i of n.inputs) this.consumers.set(i, (this.consumers.get(i) ?? 0) + 1);
    for (const o of graph.outputs) this.consumers.set(o.name, (this.consumers.get(o.name) ?? 0) + 1);
  }

  build(): Model {
    const inputs = this.graph.inputs.filter((i) => !this.graph.initializers.has(i.name));
    if (inputs.length !== 1) fail(`convkit models have one input, this graph has ${inputs.length}`);
    if (this.graph.outputs.length !== 1) fail(`convkit models have one output, this graph has ${this.graph.outputs.length}`);
    const info = inputs[0];
    const sample = info.shape?.slice(1) ?? [];
    if (!info.shape || (sample.length !== 3 && sample.length !== 1) || !sample.every((d) => d !== null && d >= 1)) {
      fail(`input '${info.name}' must have a known shape [N, C, H, W] or [N, F], got ${JSON.stringify(info.shape)}`);
    }
    const x = input(sample as number[], { name: this.layerName(info.name, 'input') });
    this.values.set(info.name, { kind: 'tensor', t: x });
    this.graph.nodes.forEach((n, i) => this.convert(n, i));
    const out = this.values.get(this.graph.outputs[0].name);
    if (!out || out.kind !== 'tensor') fail(`output '${this.graph.outputs[0].name}' is not computed from the input`);
    return new Model({ inputs: x, outputs: (out as { t: SymbolicTensor }).t, name: this.layerName(this.graph.name || 'onnx_model', 'model') });
  }

  /** A unique layer name made of the node's name (ONNX names may hold '/', ':' ...). */
  private layerName(raw: string, fallback: string): string {
    const base = raw.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 100) || fallback;
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  private tensor(node: OnnxNode, i: number): Value & { kind: 'tensor' } {
    const v = this.values.get(node.inputs[i]);
    if (!v) return fail(`node '${node.name}' (${node.opType}) reads '${node.inputs[i]}', which no earlier node computes`);
    if (v.kind !== 'tensor') return fail(`node '${node.name}' (${node.opType}): input ${i} '${node.inputs[i]}' must be computed from the model input, not a constant`);
    return v;
  }

  private constant(node: OnnxNode, i: number, what: string): OnnxTensor {
    const v = this.values.get(node.inputs[i]);
    if (!v || v.kind !== 'const') return fail(`node '${node.name}' (${node.opType}): ${what} ('${node.inputs[i]}') must be a constant (an initializer)`);
    return v.c;
  }

  private floats(c: OnnxTensor, what: string): Float32Array {
    if (!(c.data instanceof Float32Array)) fail(`${what} '${c.name}' must be float32`);
    return c.data as Float32Array;
  }

  private unusedExtraOutputs(node: OnnxNode): void {
    for (const o of node.outputs.slice(1)) if (o && this.consumers.has(o)) fail(`node '${node.name}' (${node.opType}): its output '${o}' is used, convkit computes only the first`);
  }

  private set(node: OnnxNode, layer: Layer, inputs: SymbolicTensor[], weights: Tensor[] | null = null): void {
    this.unusedExtraOutputs(node);
    if (weights) this.pending.push({ layer, weights });
    const bias = layer instanceof Conv2D || layer instanceof Dense ? weights![1].data : undefined;
    this.values.set(node.outputs[0], { kind: 'tensor', t: layer.apply(inputs), bias });
  }

  private alias(node: OnnxNode, from: Value): void {
    this.unusedExtraOutputs(node);
    this.values.set(node.outputs[0], from);
  }

  private pads(node: OnnxNode, shape: Shape, kernel: number[], strides: number[], dilations: number[]): [number, number] | 'same' {
    const autoPad = attr(node, 'auto_pad', 'NOTSET');
    if (autoPad === 'VALID') return [0, 0];
    if (autoPad === 'SAME_UPPER') return 'same';
    if (autoPad !== 'NOTSET') fail(`node '${node.name}' (${node.opType}): auto_pad ${autoPad} is not supported`);
    const given = attr(node, 'pads', [0, 0, 0, 0]);
    if (given.length !== 4) fail(`node '${node.name}' (${node.opType}): pads must have 4 values (2-D only), got [${given.join(', ')}]`);
    const [pt, pl, pb, pr] = given;
    const [st, sb] = samePads(shape[2], kernel[0], strides[0], dilations[0]);
    const [sl, sr] = samePads(shape[3], kernel[1], strides[1], dilations[1]);
    if (node.opType === 'Conv' && (pt !== pb || pl !== pr) && pt === st && pb === sb && pl === sl && pr === sr) return 'same';
    if (pt !== pb || pl !== pr) fail(`node '${node.name}' (${node.opType}): asymmetric pads [${[pt, pl, pb, pr].join(', ')}] are not supported`);
    if (attr(node, 'ceil_mode', 0) === 1) {
      const floorMatchesCeil = [0, 1].every((a) => (shape[a + 2] + 2 * [pt, pl][a] - dilations[a] * (kernel[a] - 1) - 1) % strides[a] === 0);
      if (!floorMatchesCeil) fail(`node '${node.name}' (${node.opType}): ceil_mode 1 gives other sizes than convkit's floor mode here`);
    }
    return [pt, pl];
  }

  /** Add(t, c) with c a per-channel constant and t a Conv/Dense output read only here: c joins the bias. */
  private foldBias(node: OnnxNode, k: number): void {
    const v = this.tensor(node, 1 - k);
    const c = this.constant(node, k, 'the added bias');
    const values = this.floats(c, 'bias');
    const channels = v.t.shape[0];
    const first = c.dims.findIndex((d) => d !== 1);
    const core = first < 0 ? [] : c.dims.slice(first);
    const perChannel = v.t.shape.length === 1 ? core.join() === `${channels}` : core.join() === `${channels},1,1`;
    if (!v.bias || this.consumers.get(node.inputs[1 - k]) !== 1 || !perChannel) {
      fail(`Add '${node.name}': a constant is supported only per channel, added to the output of a Conv, Gemm or MatMul used nowhere else`);
    }
    for (let i = 0; i < channels; i++) v.bias![i] += values[i];
    this.alias(node, v);
  }

  private convert(node: OnnxNode, index: number): void {
    const name = this.layerName(node.name || `${node.opType}_${index}`, `${node.opType}_${index}`);
    const pair = (key: string, fallback: number[]) => {
      const v = attr(node, key, fallback);
      if (v.length !== 2) fail(`node '${node.name}' (${node.opType}): ${key} must have 2 values (2-D only), got [${v.join(', ')}]`);
      return v as [number, number];
    };
    switch (node.opType) {
      case 'Constant': {
        const v = node.attrs.get('value');
        if (!v || typeof v !== 'object' || Array.isArray(v)) return fail(`Constant node '${node.name}' needs a tensor 'value'`);
        this.values.set(node.outputs[0], { kind: 'const', c: v });
        return;
      }
      case 'Identity':
        return this.alias(node, this.values.get(node.inputs[0]) ?? fail(`Identity '${node.name}' reads an unknown tensor`));
      case 'Conv': {
        const x = this.tensor(node, 0).t;
        const w = this.constant(node, 1, 'the kernel');
        if (w.dims.length !== 4 || x.shape.length !== 3) fail(`Conv '${node.name}': 2-D convolutions only (kernel ${formatShape(w.dims)}, input ${formatShape(x.shape)})`);
        const [O, , KH, KW] = w.dims;
        const strides = pair('strides', [1, 1]);
        const dilation = pair('dilations', [1, 1]);
        const groups = attr(node, 'group', 1);
        const padding = this.pads(node, [1, ...x.shape], [KH, KW], strides, dilation);
        const bias = node.inputs[2] ? this.floats(this.constant(node, 2, 'the bias'), 'bias') : new Float32Array(O);
        if (bias.length !== O) fail(`Conv '${node.name}': bias has ${bias.length} values for ${O} filters`);
        if (x.shape[0] !== w.dims[1] * groups) fail(`Conv '${node.name}': kernel ${formatShape(w.dims)} does not fit input ${formatShape(x.shape)} with group ${groups}`);
        const layer = new Conv2D({ name, filters: O, kernelSize: [KH, KW], strides, padding, dilation, groups });
        return this.set(node, layer, [x], [new Tensor(this.floats(w, 'kernel'), [...w.dims]), new Tensor(Float32Array.from(bias), [O])]);
      }
      case 'MaxPool':
      case 'AveragePool': {
        const x = this.tensor(node, 0).t;
        const kernel = pair('kernel_shape', []);
        const strides = pair('strides', [1, 1]);
        if (attr(node, 'dilations', [1, 1]).some((d) => d !== 1)) fail(`${node.opType} '${node.name}': dilated pooling is not supported`);
        const padding = this.pads(node, [1, ...x.shape], kernel, strides, [1, 1]);
        if (padding === 'same') return fail(`${node.opType} '${node.name}': auto_pad SAME_UPPER pooling is not supported`);
        const args = { name, poolSize: kernel, strides, padding };
        const layer = node.opType === 'MaxPool' ? new MaxPool2D(args) : new AvgPool2D({ ...args, countIncludePad: attr(node, 'count_include_pad', 0) === 1 });
        return this.set(node, layer, [x]);
      }
      case 'GlobalAveragePool':
        return this.set(node, new GlobalAvgPool2D({ name, keepDims: true }), [this.tensor(node, 0).t]);
      case 'Relu':
        return this.set(node, new ReLU({ name }), [this.tensor(node, 0).t]);
      case 'Sigmoid':
        return this.set(node, new Sigmoid({ name }), [this.tensor(node, 0).t]);
      case 'Tanh':
        return this.set(node, new Tanh({ name }), [this.tensor(node, 0).t]);
      case 'Softmax': {
        const x = this.tensor(node, 0).t;
        const axis = attr(node, 'axis', this.graph.opset >= 13 ? -1 : 1);
        if (x.shape.length !== 1 || (axis !== 1 && axis !== -1)) fail(`Softmax '${node.name}': only over the features of [N, F] (axis 1), got axis ${axis} on [N, ${x.shape.join(', ')}]`);
        return this.set(node, new Softmax({ name }), [x]);
      }
      case 'Flatten':
      case 'Reshape': {
        const v = this.tensor(node, 0);
        const size = v.t.shape.reduce((a, b) => a * b, 1);
        if (node.opType === 'Flatten') {
          if (attr(node, 'axis', 1) !== 1) fail(`Flatten '${node.name}': only axis 1 is supported`);
        } else {
          const target = node.inputs[1] ? (this.constant(node, 1, 'the shape').data as number[]) : attr(node, 'shape', [] as number[]);
          const [a, b] = target;
          const flattens = target.length === 2 && ((a === 0 && (b === -1 || b === size)) || (a === -1 && b === size));
          if (!flattens) fail(`Reshape '${node.name}' to [${Array.from(target).join(', ')}]: only flattening to [N, ${size}] is supported`);
        }
        if (v.t.shape.length === 1) return this.alias(node, v);
        return this.set(node, new Flatten({ name }), [v.t]);
      }
      case 'Gemm':
      case 'MatMul': {
        const x = this.tensor(node, 0).t;
        const b = this.constant(node, 1, 'the weight matrix');
        if (x.shape.length !== 1 || b.dims.length !== 2) fail(`${node.opType} '${node.name}': only [N, K] x [K, M] with a constant matrix is supported (input [N, ${x.shape.join(', ')}], matrix ${formatShape(b.dims)})`);
        if (attr(node, 'transA', 0) !== 0) fail(`Gemm '${node.name}': transA is not supported`);
        const transB = attr(node, 'transB', 0) === 1;
        const [IN, OUT] = transB ? [b.dims[1], b.dims[0]] : b.dims;
        if (IN !== x.shape[0]) fail(`${node.opType} '${node.name}': matrix ${formatShape(b.dims)}${transB ? ' (transposed)' : ''} does not fit input [N, ${x.shape[0]}]`);
        const alpha = attr(node, 'alpha', 1.0);
        const beta = attr(node, 'beta', 1.0);
        const src = this.floats(b, 'weight matrix');
        const kernel = new Float32Array(IN * OUT);
        for (let o = 0; o < OUT; o++) for (let i = 0; i < IN; i++) kernel[o * IN + i] = alpha * src[transB ? o * IN + i : i * OUT + o];
        const bias = new Float32Array(OUT);
        if (node.opType === 'Gemm' && node.inputs[2]) {
          const c = this.floats(this.constant(node, 2, 'C'), 'C');
          if (c.length !== OUT && c.length !== 1) fail(`Gemm '${node.name}': C has ${c.length} values for ${OUT} outputs`);
          for (let o = 0; o < OUT; o++) bias[o] = beta * c[c.length === 1 ? 0 : o];
        }
        return this.set(node, new Dense({ name, units: OUT }), [x], [new Tensor(kernel, [OUT, IN]), new Tensor(bias, [OUT])]);
      }
      case 'Add':
      case 'Sum': {
        const isConst = node.inputs.map((i) => this.values.get(i)?.kind === 'const');
        if (isConst.every((c) => !c)) {
          const inputs = node.inputs.map((_, i) => this.tensor(node, i).t);
          if (inputs.length === 1) return this.alias(node, this.tensor(node, 0));
          if (inputs.some((t) => t.shape.join() !== inputs[0].shape.join())) fail(`${node.opType} '${node.name}': inputs of shapes ${inputs.map((t) => formatShape(t.shape)).join(', ')}; only same-shape sums are supported`);
          return this.set(node, new Add({ name }), inputs);
        }
        if (node.opType !== 'Add') fail(`Sum '${node.name}' of constants is not supported`);
        return this.foldBias(node, isConst[0] ? 0 : 1);
      }
      case 'Dropout': {
        const ratio = node.inputs[1] ? (this.constant(node, 1, 'ratio').data as ArrayLike<number>)[0] : attr(node, 'ratio', 0.5);
        const v = this.tensor(node, 0);
        if (!(ratio > 0 && ratio < 1)) return this.alias(node, v);
        return this.set(node, new Dropout({ name, rate: ratio }), [v.t]);
      }
      case 'BatchNormalization': {
        const x = this.tensor(node, 0).t;
        const C = x.shape[0];
        const vectors = [1, 2, 3, 4].map((i) => {
          const c = this.floats(this.constant(node, i, ['scale', 'bias', 'mean', 'variance'][i - 1]), 'BatchNormalization input');
          if (c.length !== C) fail(`BatchNormalization '${node.name}': input ${i} has ${c.length} values for ${C} channels`);
          return new Tensor(Float32Array.from(c), [C]);
        });
        const layer = new BatchNorm2D({ name, epsilon: attr(node, 'epsilon', 1e-5), momentum: 1 - attr(node, 'momentum', 0.9) });
        return this.set(node, layer, [x], vectors);
      }
      case 'Concat': {
        const inputs = node.inputs.map((_, i) => this.tensor(node, i).t);
        const rank = inputs[0].shape.length + 1;
        const raw = attr(node, 'axis', 1);
        const axis = raw < 0 ? raw + rank : raw;
        if (axis < 1 || axis >= rank) fail(`Concat '${node.name}': axis ${raw} (the batch axis, or out of range for rank ${rank}) is not supported`);
        return this.set(node, new Concat({ name, axis }), inputs);
      }
      default:
        fail(`unsupported operator ${node.opType} (node '${node.name}')`);
    }
  }
}

/** A convkit Model from the bytes of an .onnx file. */
export function fromOnnx(bytes: Uint8Array): Model {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('fromOnnx takes the bytes of an .onnx file (Uint8Array or Buffer)');
  let graph: OnnxGraph;
  try {
    graph = readModel(bytes);
  } catch (e) {
    if (e instanceof ProtobufError) fail(`not a valid ONNX protobuf: ${e.message}`);
    throw e;
  }
  checkSupported(graph);
  const importer = new OnnxImporter(graph);
  const model = importer.build();
  for (const { layer, weights } of importer.pending) layer.setWeights(weights);
  return model;
}

/** Loads an .onnx file. */
export async function loadOnnxModel(file: string): Promise<Model> {
  const stat = await fs.stat(file).catch(() => fail(`${file} does not exist`));
  if (!stat.isFile() || stat.size > MAX_FILE_BYTES) fail(`${file} is not a file of at most ${MAX_FILE_BYTES} bytes`);
  return fromOnnx(await fs.readFile(file));
}

// ---------------------------------------------------------------------------------------------
// Export

function tensorProto(name: string, dims: readonly number[], data: Float32Array): ProtoWriter {
  const w = new ProtoWriter().packed(1, dims).varint(2, FLOAT).string(8, name);
  return w.bytes(9, new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
}

type ExportAttr = [string, number | number[], 'int' | 'ints' | 'float'];

function nodeProto(op: string, inputs: string[], outputs: string[], name: string, attrs: ExportAttr[] = []): ProtoWriter {
  const n = new ProtoWriter();
  for (const i of inputs) n.string(1, i);
  for (const o of outputs) n.string(2, o);
  n.string(3, name).string(4, op);
  for (const [key, value, kind] of attrs) {
    const a = new ProtoWriter().string(1, key);
    if (kind === 'float') a.float(2, value as number).varint(20, 1);
    else if (kind === 'int') a.varint(3, value as number).varint(20, 2);
    else a.packed(8, value as number[]).varint(20, 7);
    n.message(5, a);
  }
  return n;
}

function valueInfo(name: string, sample: Shape): ProtoWriter {
  const shape = new ProtoWriter().message(1, new ProtoWriter().string(2, 'N'));
  for (const d of sample) shape.message(1, new ProtoWriter().varint(1, d));
  const tensorType = new ProtoWriter().varint(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/** ONNX pads [top, left, bottom, right] of a layer with symmetric pads. */
const onnxPads = ([ph, pw]: readonly number[]) => [ph, pw, ph, pw];

/** The model as the bytes of an .onnx file (opset 13, batch dimension 'N'). */
export function toOnnx(model: Model): Uint8Array {
  const graph = new ProtoWriter();
  const initializers: ProtoWriter[] = [];
  const weight = (name: string, t: Tensor) => {
    initializers.push(tensorProto(name, t.shape, t.data));
    return name;
  };
  for (const layer of model.layers) {
    const inputs = layer.output!.inputs.map((t) => t.name);
    const x = layer.output!.inputs[0].shape;
    const out = layer.name;
    const w = layer.namedWeights().map((n) => n.tensor);
    const add = (op: string, ins: string[], attrs: ExportAttr[] = [], output = out) => graph.message(1, nodeProto(op, ins, [output], `${layer.name}${output === out ? '' : '_' + op}`, attrs));
    if (layer instanceof Conv2D) {
      const [KH, KW] = layer.kernelSize;
      const pads = layer.padding === 'valid' ? [0, 0, 0, 0] : layer.padding === 'same'
        ? (([t, b], [l, r]) => [t, l, b, r])(samePads(x[1], KH, layer.stride[0], layer.dilation[0]), samePads(x[2], KW, layer.stride[1], layer.dilation[1]))
        : onnxPads(layer.padding);
      const ins = [inputs[0], weight(`${layer.name}.weight`, w[0]), ...(layer.useBias ? [weight(`${layer.name}.bias`, w[1])] : [])];
      add('Conv', ins, [['kernel_shape', [KH, KW], 'ints'], ['strides', layer.stride, 'ints'], ['pads', pads, 'ints'], ['dilations', layer.dilation, 'ints'], ['group', layer.groups, 'int']]);
    } else if (layer instanceof Dense) {
      add('Gemm', [inputs[0], weight(`${layer.name}.weight`, w[0]), ...(layer.useBias ? [weight(`${layer.name}.bias`, w[1])] : [])], [['transB', 1, 'int']]);
    } else if (layer instanceof MaxPool2D || layer instanceof AvgPool2D) {
      const attrs: ExportAttr[] = [['kernel_shape', layer.poolSize, 'ints'], ['strides', layer.stride, 'ints'], ['pads', onnxPads(layer.padding), 'ints']];
      if (layer instanceof AvgPool2D) attrs.push(['count_include_pad', layer.countIncludePad ? 1 : 0, 'int']);
      add(layer instanceof MaxPool2D ? 'MaxPool' : 'AveragePool', inputs, attrs);
    } else if (layer instanceof GlobalAvgPool2D) {
      if (layer.keepDims) {
        add('GlobalAveragePool', inputs);
      } else {
        add('GlobalAveragePool', inputs, [], `${out}.pooled`);
        add('Flatten', [`${out}.pooled`], [['axis', 1, 'int']]);
      }
    } else if (layer instanceof Flatten) {
      add('Flatten', inputs, [['axis', 1, 'int']]);
    } else if (layer instanceof ReLU || layer instanceof Sigmoid || layer instanceof Tanh) {
      add(layer instanceof ReLU ? 'Relu' : layer instanceof Sigmoid ? 'Sigmoid' : 'Tanh', inputs);
    } else if (layer instanceof Softmax) {
      if (x.length !== 1) fail(`Softmax '${layer.name}' on [N, ${x.join(', ')}] is exported only on [N, F]`);
      add('Softmax', inputs, [['axis', 1, 'int']]);
    } else if (layer instanceof Dropout) {
      add('Identity', inputs);
    } else if (layer instanceof Concat) {
      add('Concat', inputs, [['axis', layer.axis, 'int']]);
    } else if (layer instanceof Add) {
      add(inputs.length === 2 ? 'Add' : 'Sum', inputs);
    } else if (layer instanceof BatchNorm2D) {
      const names = ['scale', 'bias', 'mean', 'var'].map((k, i) => weight(`${layer.name}.${k}`, w[i]));
      add('BatchNormalization', [inputs[0], ...names], [['epsilon', layer.epsilon, 'float'], ['momentum', 1 - layer.momentum, 'float']]);
    } else {
      fail(`layer '${layer.name}' (${layer.className}) has no ONNX export`);
    }
  }
  graph.string(2, model.name);
  for (const i of initializers) graph.message(5, i);
  graph.message(11, valueInfo(model.input.name, model.inputShape));
  graph.message(12, valueInfo(model.output.name, model.outputShape));
  return new ProtoWriter()
    .varint(1, 7) // IR version 7 goes with opset 13
    .string(2, 'convkit')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').varint(2, EXPORT_OPSET))
    .finish();
}

/** Writes the model to an .onnx file. */
export async function saveOnnxModel(model: Model, file: string): Promise<void> {
  await fs.writeFile(file, toOnnx(model));
}
