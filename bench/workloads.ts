// The workloads of `npm run bench`: what each computes (a layer spec every system builds the same
// network from), its work per call (FLOPs, images or bytes), and the weights and inputs, drawn
// once from a seeded generator and handed to every system. Layouts are convkit's and PyTorch's:
// activations NCHW, conv weights OIHW, linear weights [out, in].

import { mulberry32 } from '../lib/random';

export type LayerSpec =
  | { type: 'conv2d'; in: number; out: number; kernel: number; stride?: number; padding?: number }
  | { type: 'linear'; in: number; out: number }
  | { type: 'relu' }
  | { type: 'maxpool'; kernel: number; stride?: number; padding?: number }
  | { type: 'globalavgpool' }
  | { type: 'flatten' }
  | { type: 'concat'; branches: LayerSpec[][] };

export type ConvkitModel = 'lenet5' | 'inception3a' | 'googlenet';

export type Kind = 'matmul' | 'forward' | 'forward-backward' | 'train-step' | 'adam';

/** A named float32 array with its shape (labels are stored as floats too). */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface Workload {
  id: string; // --only matches a prefix of it
  title: string;
  kind: Kind;
  /** 'img/s' (images per second), 'GFLOP/s', or 'ms' per step (lower is better). */
  unit: 'img/s' | 'GFLOP/s' | 'ms';
  batch: number;
  flops: number; // per call (matmul, conv)
  bytes: number; // memory traffic per call that the algorithm cannot avoid (Adam)
  inputShape: number[]; // per sample, NCHW without N
  spec: LayerSpec[];
  /** What the network is, for the notes under the table. */
  about?: string;
  /** convkit's own model of lib/models to use (same network as the spec), else built from the spec. */
  convkitModel?: ConvkitModel;
  hyper: { lr: number; momentum?: number; betas?: [number, number]; eps?: number };
  /** Max over outputs of max|a - b| / max|b| against convkit's output. */
  tolerance: number;
  /** Run in --quick. */
  quick: boolean;
  /** Weights w0.. (spec order, weight then bias per layer) and inputs, drawn on first use. */
  arrays: () => NamedArray[];
}


const size = (shape: number[]) => shape.reduce((a, d) => a * d, 1);

function uniform(shape: number[], scale: number, next: () => number): Float32Array {
  const a = new Float32Array(size(shape));
  for (let i = 0; i < a.length; i++) a[i] = (next() * 2 - 1) * scale;
  return a;
}

/** The parameter shapes of a spec, depth first (PyTorch's parameters() order). */
export function paramShapes(spec: LayerSpec[]): number[][] {
  return spec.flatMap((s): number[][] => {
    if (s.type === 'conv2d') return [[s.out, s.in, s.kernel, s.kernel], [s.out]];
    if (s.type === 'linear') return [[s.out, s.in], [s.out]];
    if (s.type === 'concat') return s.branches.flatMap(paramShapes);
    return [];
  });
}

/** He-uniform weights (activations keep their scale through ReLU stacks) and small biases. */
function weights(spec: LayerSpec[], next: () => number): NamedArray[] {
  return paramShapes(spec).map((shape, i) => {
    const fanIn = shape.length > 1 ? size(shape.slice(1)) : 0;
    const scale = fanIn > 0 ? Math.sqrt(6 / fanIn) : 0.1;
    return { name: `w${i}`, shape, data: uniform(shape, scale, next) };
  });
}

/** Output shape [C, H, W] or [F] of a spec on one sample. */
export function outputShape(spec: LayerSpec[], input: number[]): number[] {
  let [c, h, w] = input;
  for (const s of spec) {
    if (s.type === 'conv2d' || s.type === 'maxpool') {
      const p = s.padding ?? 0, k = s.kernel, st = s.stride ?? (s.type === 'maxpool' ? k : 1);
      h = Math.floor((h + 2 * p - k) / st) + 1;
      w = Math.floor((w + 2 * p - k) / st) + 1;
      if (s.type === 'conv2d') c = s.out;
    } else if (s.type === 'globalavgpool') h = w = 1;
    else if (s.type === 'flatten') return outputShape(spec.slice(spec.indexOf(s) + 1), [c * h * w]);
    else if (s.type === 'linear') return outputShape(spec.slice(spec.indexOf(s) + 1), [s.out]);
    else if (s.type === 'concat') {
      const outs = s.branches.map((b) => outputShape(b, [c, h, w]));
      [c, h, w] = [outs.reduce((a, o) => a + o[0], 0), outs[0][1], outs[0][2]];
    }
  }
  return input.length === 1 ? [c] : [c, h, w];
}

/** Multiply-adds x 2 of the convolutions and linear layers of a spec, per sample. */
export function specFlops(spec: LayerSpec[], input: number[]): number {
  let shape = input, flops = 0;
  for (const s of spec) {
    const out = outputShape([s], shape);
    if (s.type === 'conv2d') flops += 2 * size(out) * s.in * s.kernel * s.kernel;
    if (s.type === 'linear') flops += 2 * s.in * s.out;
    if (s.type === 'concat') flops += s.branches.reduce((a, b) => a + specFlops(b, shape), 0);
    shape = out;
  }
  return flops;
}

// ---- networks ----

const conv = (inC: number, out: number, kernel: number, stride = 1, padding = 0): LayerSpec[] =>
  [{ type: 'conv2d', in: inC, out, kernel, stride, padding }, { type: 'relu' }];

/** LeNet-5 as lib/models/lenet5.ts builds it (relu-max variant, 28x28 input, C1 padded by 2). */
export const LENET5: LayerSpec[] = [
  ...conv(1, 6, 5, 1, 2), { type: 'maxpool', kernel: 2 },
  ...conv(6, 16, 5), { type: 'maxpool', kernel: 2 },
  ...conv(16, 120, 5), { type: 'flatten' },
  { type: 'linear', in: 120, out: 84 }, { type: 'relu' },
  { type: 'linear', in: 84, out: 10 },
];

/** A GoogLeNet inception module (Szegedy et al. 2014, with its 5x5 branch), every conv + ReLU. */
export function inception(inC: number, c1: number, c3r: number, c3: number, c5r: number, c5: number, pool: number): LayerSpec {
  return {
    type: 'concat',
    branches: [
      conv(inC, c1, 1),
      [...conv(inC, c3r, 1), ...conv(c3r, c3, 3, 1, 1)],
      [...conv(inC, c5r, 1), ...conv(c5r, c5, 5, 1, 2)],
      [{ type: 'maxpool', kernel: 3, stride: 1, padding: 1 }, ...conv(inC, pool, 1)],
    ],
  };
}

export const INCEPTION_3A: LayerSpec[] = [inception(192, 64, 96, 128, 16, 32, 32)];

const pool3s2: LayerSpec = { type: 'maxpool', kernel: 3, stride: 2, padding: 1 };

/**
 * GoogLeNet (Szegedy et al. 2014) for 224x224 as lib/models/googlenet.ts builds it: the paper's
 * layers without the LRNs and the auxiliary classifiers, dropout left out (identity in
 * inference); 3x3/2 max-pools padded by 1 give the paper's map sizes (112, 56, 28, 14, 7)
 * without ceil mode.
 */
export const GOOGLENET: LayerSpec[] = [
  ...conv(3, 64, 7, 2, 3), pool3s2,
  ...conv(64, 64, 1), ...conv(64, 192, 3, 1, 1), pool3s2,
  inception(192, 64, 96, 128, 16, 32, 32), inception(256, 128, 128, 192, 32, 96, 64), pool3s2,
  inception(480, 192, 96, 208, 16, 48, 64), inception(512, 160, 112, 224, 24, 64, 64),
  inception(512, 128, 128, 256, 24, 64, 64), inception(512, 112, 144, 288, 32, 64, 64),
  inception(528, 256, 160, 320, 32, 128, 128), pool3s2,
  inception(832, 256, 160, 320, 32, 128, 128), inception(832, 384, 192, 384, 48, 128, 128),
  { type: 'globalavgpool' }, { type: 'flatten' }, { type: 'linear', in: 1024, out: 1000 },
];

// ---- workloads ----

const noHyper = { lr: 0 };

function sgemm(n: number, quick: boolean): Workload {
  return {
    id: `sgemm-${n}`, title: `sgemm ${n}x${n}x${n}`, kind: 'matmul', unit: 'GFLOP/s', batch: 1,
    flops: 2 * n ** 3, bytes: 0, inputShape: [], spec: [], hyper: noHyper, tolerance: 1e-4, quick,
    arrays: () => {
      const next = mulberry32(n);
      return [{ name: 'A', shape: [n, n], data: uniform([n, n], 1, next) }, { name: 'B', shape: [n, n], data: uniform([n, n], 1, next) }];
    },
  };
}

interface NetArgs {
  id: string;
  title: string;
  kind: 'forward' | 'forward-backward' | 'train-step';
  unit?: 'img/s' | 'GFLOP/s';
  spec: LayerSpec[];
  inputShape: number[];
  batch: number;
  quick: boolean;
  convkitModel?: ConvkitModel;
  about?: string;
  hyper?: Workload['hyper'];
  tolerance?: number;
}

function network(a: NetArgs): Workload {
  const flops = specFlops(a.spec, a.inputShape) * a.batch * (a.kind === 'forward' ? 1 : 3);
  return {
    id: a.id, title: a.title, kind: a.kind, unit: a.unit ?? 'img/s', batch: a.batch, flops, bytes: 0,
    inputShape: a.inputShape, spec: a.spec, convkitModel: a.convkitModel, about: a.about, hyper: a.hyper ?? noHyper,
    tolerance: a.tolerance ?? 2e-3, quick: a.quick,
    arrays: () => {
      const next = mulberry32(a.batch * 1000 + a.spec.length);
      const out = weights(a.spec, next);
      const x = [a.batch, ...a.inputShape];
      out.push({ name: 'x', shape: x, data: uniform(x, 1, next) });
      if (a.kind === 'forward-backward') {
        const y = [a.batch, ...outputShape(a.spec, a.inputShape)];
        out.push({ name: 'dy', shape: y, data: uniform(y, 1, next) });
      }
      if (a.kind === 'train-step') {
        const classes = outputShape(a.spec, a.inputShape)[0];
        out.push({ name: 'labels', shape: [a.batch], data: Float32Array.from({ length: a.batch }, () => Math.floor(next() * classes)) });
      }
      return out;
    },
  };
}

const ADAM_PARAMS = 10_000_000;

const adam: Workload = {
  id: 'adam-10m', title: 'Adam step, 10M parameters', kind: 'adam', unit: 'ms', batch: 1, flops: 0,
  // θ, g, m, v read and θ, m, v written once each: 7 floats per parameter.
  bytes: 7 * 4 * ADAM_PARAMS, inputShape: [], spec: [],
  hyper: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8 }, tolerance: 1e-3, quick: true,
  arrays: () => {
    const next = mulberry32(7);
    return [{ name: 'param', shape: [ADAM_PARAMS], data: uniform([ADAM_PARAMS], 1, next) },
      { name: 'grad', shape: [ADAM_PARAMS], data: uniform([ADAM_PARAMS], 1, next) }];
  },
};

/** Every workload, in the order they run (small batches first: see the harness's estimate of slow cases). */
const ABOUT_LENET5 = 'LeNet-5: lib/models/lenet5.ts, relu-max variant (ReLU, max pooling; 28x28 input, C1 padded by 2; 61,706 parameters); every system starts each workload from the same weights';
const ABOUT_INCEPTION = 'inception(3a): lib/models/inception.ts inceptionModule with GoogLeNet\'s 3a sizes and the paper\'s 5x5 branch, conv + ReLU';
const ABOUT_GOOGLENET = 'GoogLeNet: lib/models/googlenet.ts (paper Table 1 without LRN and auxiliary classifiers; dropout is identity in inference)';

export const WORKLOADS: Workload[] = [
  ...[256, 512, 1024, 2048].map((n) => sgemm(n, n === 1024)),
  network({ id: 'lenet5-train', title: 'LeNet-5 training, batch 64, SGD momentum', kind: 'train-step', spec: LENET5,
    inputShape: [1, 28, 28], batch: 64, quick: true, convkitModel: 'lenet5', about: ABOUT_LENET5, hyper: { lr: 0.01, momentum: 0.9 } }),
  network({ id: 'lenet5-infer', title: 'LeNet-5 inference, batch 256', kind: 'forward', spec: LENET5,
    inputShape: [1, 28, 28], batch: 256, quick: true, convkitModel: 'lenet5', about: ABOUT_LENET5 }),
  ...[8, 32].map((b) => network({ id: `inception3a-fwd-b${b}`, title: `inception(3a) forward, batch ${b}`, kind: 'forward',
    spec: INCEPTION_3A, inputShape: [192, 28, 28], batch: b, quick: b === 8, convkitModel: 'inception3a', about: ABOUT_INCEPTION })),
  ...[8, 32].map((b) => network({ id: `inception3a-fwdbwd-b${b}`, title: `inception(3a) forward+backward, batch ${b}`,
    kind: 'forward-backward', spec: INCEPTION_3A, inputShape: [192, 28, 28], batch: b, quick: false, convkitModel: 'inception3a', about: ABOUT_INCEPTION })),
  network({ id: 'googlenet-fwd-b8', title: 'GoogLeNet forward 224x224, batch 8', kind: 'forward', spec: GOOGLENET,
    inputShape: [3, 224, 224], batch: 8, quick: false, convkitModel: 'googlenet', about: ABOUT_GOOGLENET }),
  network({ id: 'conv3x3-fwd', title: 'conv 3x3 64->64, 56x56, batch 8, forward', kind: 'forward', unit: 'GFLOP/s',
    spec: [{ type: 'conv2d', in: 64, out: 64, kernel: 3, padding: 1 }], inputShape: [64, 56, 56], batch: 8, quick: true }),
  adam,
];
