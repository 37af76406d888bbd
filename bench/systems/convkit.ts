// convkit: models built with convkit's own layers (lib/models/lenet5.ts for LeNet-5, the
// functional API for the others), its optimizers, and its matmul.
import { Tensor, tensor, zeros, setNumThreads, info, input, concat, model as makeModel, optimizers, ops, Parameter,
  Conv2D, Dense, ReLU, MaxPool2D, GlobalAvgPool2D, Flatten, type Layer, type Model, type SymbolicTensor } from '../../lib';
import { lenet5 } from '../../lib/models/lenet5';
import { googlenet, GOOGLENET_INCEPTION } from '../../lib/models/googlenet';
import { inceptionModule } from '../../lib/models/inception';
import { paramShapes, type LayerSpec, type NamedArray, type Workload } from '../workloads';
import { find, timeSync, weightArrays, type Instance, type System } from './system';

const asTensor = (a: NamedArray) => tensor(a.data.slice(), a.shape);
const named = (name: string, t: Tensor): NamedArray => ({ name, shape: [...t.shape], data: t.data.slice() });

/** Applies a spec to a symbolic tensor; kernel layers are collected in spec (PyTorch) order. */
function applySpec(spec: LayerSpec[], x: SymbolicTensor, kernelLayers: Layer[]): SymbolicTensor {
  return spec.reduce((t, s) => {
    if (s.type === 'concat') return concat(s.branches.map((b) => applySpec(b, t, kernelLayers)));
    let layer: Layer;
    if (s.type === 'conv2d') layer = new Conv2D({ filters: s.out, kernelSize: s.kernel, stride: s.stride ?? 1, padding: s.padding ?? 0 });
    else if (s.type === 'linear') layer = new Dense({ units: s.out });
    else if (s.type === 'relu') layer = new ReLU();
    else if (s.type === 'maxpool') layer = new MaxPool2D({ poolSize: s.kernel, stride: s.stride ?? s.kernel, padding: s.padding ?? 0 });
    else if (s.type === 'globalavgpool') layer = new GlobalAvgPool2D();
    else layer = new Flatten();
    if (s.type === 'conv2d' || s.type === 'linear') kernelLayers.push(layer);
    return layer.apply(t);
  }, x);
}

const INCEPTION_CONVS = ['1x1', '3x3_reduce', '3x3', '5x5_reduce', '5x5', 'pool_proj'];
const inceptionNames = (id: string) => INCEPTION_CONVS.map((c) => `inception_${id}_${c}`);

/**
 * convkit's own model for a workload (lib/models when it has one) and the names of its kernel
 * layers in spec order; else the network built from the spec with the functional API.
 */
function convkitModel(w: Workload): { net: Model; kernelLayers: Layer[] } {
  const byName = (net: Model, names: string[]) => ({ net, kernelLayers: names.map((n) => net.getLayer(n)) });
  if (w.convkitModel === 'lenet5') return byName(lenet5({ variant: 'relu-max' }), ['conv1', 'conv2', 'c5', 'f6', 'output']);
  if (w.convkitModel === 'googlenet') {
    const modules = ['3a', '3b', '4a', '4b', '4c', '4d', '4e', '5a', '5b'];
    return byName(googlenet(), ['conv1', 'conv2_reduce', 'conv2', ...modules.flatMap(inceptionNames), 'classifier']);
  }
  const x = input(w.inputShape);
  if (w.convkitModel === 'inception3a') {
    const y = inceptionModule({ ...GOOGLENET_INCEPTION['3a'], name: 'inception_3a' }).apply(x);
    return byName(makeModel({ inputs: x, outputs: y }), inceptionNames('3a'));
  }
  const kernelLayers: Layer[] = [];
  return { net: makeModel({ inputs: x, outputs: applySpec(w.spec, x, kernelLayers) }), kernelLayers };
}

/** The workload's network with the workload's weights (shapes checked by setWeights); parameters in spec order. */
function buildModel(w: Workload, arrays: NamedArray[]): { net: Model; params: Parameter[] } {
  const ws = weightArrays(arrays).map(asTensor);
  const { net, kernelLayers } = convkitModel(w);
  let i = 0;
  for (const layer of kernelLayers) {
    const n = layer.getWeights().length;
    layer.setWeights(ws.slice(i, i + n));
    i += n;
  }
  const params = kernelLayers.flatMap((l) => l.parameters());
  if (i !== ws.length || params.length !== net.parameters().length) {
    throw new Error(`convkit: ${i} weights loaded into ${params.length} of ${net.parameters().length} parameters; the spec has ${ws.length}`);
  }
  return { net, params };
}

function instance(w: Workload, arrays: NamedArray[]): { run: () => void; outputs: () => NamedArray[] } {
  if (w.kind === 'matmul') {
    const a = asTensor(find(arrays, 'A')), b = asTensor(find(arrays, 'B'));
    const out = zeros([a.shape[0], b.shape[1]]);
    return { run: () => void ops.matmul(a, b, { out }), outputs: () => [named('C', out)] };
  }
  if (w.kind === 'adam') {
    const p = new Parameter(asTensor(find(arrays, 'param')), 'param');
    p.grad.data.set(find(arrays, 'grad').data);
    const opt = new optimizers.Adam([p], { lr: w.hyper.lr, betas: w.hyper.betas, eps: w.hyper.eps });
    return { run: () => void opt.step(), outputs: () => [named('param', p.value)] };
  }
  const { net, params } = buildModel(w, arrays);
  const x = asTensor(find(arrays, 'x'));
  if (w.kind === 'forward') {
    let y = x;
    return { run: () => void (y = net.forward(x)), outputs: () => [named('y', y)] };
  }
  if (w.kind === 'forward-backward') {
    const dy = asTensor(find(arrays, 'dy'));
    let y = x, dx: Tensor | undefined;
    const run = () => {
      y = net.forward(x, { training: true });
      for (const p of params) p.zeroGrad();
      dx = net.backward(dy, { inputGrad: true });
    };
    return { run, outputs: () => [named('y', y), named('dx', dx!)] };
  }
  const labels = Int32Array.from(find(arrays, 'labels').data);
  const opt = new optimizers.SGD(params, { lr: w.hyper.lr, momentum: w.hyper.momentum });
  let loss = 0;
  const run = () => {
    const logits = net.forward(x, { training: true });
    const r = ops.softmaxCrossEntropy(logits, labels);
    loss = r.loss;
    opt.zeroGrad();
    net.backward(r.grad);
    opt.step();
  };
  return { run, outputs: () => [{ name: 'loss', shape: [1], data: Float32Array.of(loss) }, ...params.map((p, i) => named(`w${i}`, p.value))] };
}

export const convkit: System = {
  name: 'convkit',
  singleThreaded: false,
  describe: () => {
    const i = info();
    return `convkit ${i.version} (${i.isa}, ${i.physicalCores} cores, ${i.compiler})`;
  },
  async setup(w, arrays, threads) {
    setNumThreads(threads);
    const { run, outputs } = instance(w, arrays);
    const ready: Instance = {
      sample: async (reps) => timeSync(run, reps),
      check: async () => {
        run();
        return outputs();
      },
      dispose: async () => {},
    };
    return ready;
  },
  close: async () => {},
};
