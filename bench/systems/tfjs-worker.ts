// The TensorFlow.js side of the bench, in a worker thread so that the harness can stop a call
// that runs past its time limit (TF.js cpu needs minutes for some training steps). The networks
// are written with tf ops from the same spec, with the fused conv/matmul + bias + ReLU that
// tf.layers uses. TF.js convolutions are NHWC on these backends: inputs and weights are
// converted once at setup (OIHW -> HWIO, [out, in] -> [in, out]) and outputs converted back to
// NCHW for the check, outside the timed calls.
// Messages: {cmd: 'setup', backend, workload, arrays} | {cmd: 'check'} | {cmd: 'sample', reps} |
// {cmd: 'dispose'}; replies {ok: true, ...} or {ok: false, error, unsupported}.
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { LayerSpec, NamedArray, Workload } from '../workloads';
import { find, timeSync, weightArrays } from './system';

export type WorkloadSpec = Pick<Workload, 'kind' | 'spec' | 'hyper'>;

let ready: Promise<void> | null = null;

async function init(): Promise<void> {
  tf.enableProdMode();
  setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
  await tf.ready();
}

/** Runs the layers of a spec on an NHWC tensor; `ws` are the converted weights in spec order. */
function forward(spec: LayerSpec[], x: tf.Tensor, ws: tf.Tensor[], next = { i: 0 }): tf.Tensor {
  let t = x;
  for (let k = 0; k < spec.length; k++) {
    const s = spec[k];
    const relu = spec[k + 1]?.type === 'relu';
    if (s.type === 'conv2d') {
      const [filter, bias] = [ws[next.i++], ws[next.i++]];
      t = tf.fused.conv2d({ x: t as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: s.stride ?? 1, pad: s.padding ?? 0, bias,
        activation: relu ? 'relu' : 'linear' });
      if (relu) k++;
    } else if (s.type === 'linear') {
      const [w, bias] = [ws[next.i++], ws[next.i++]];
      t = tf.fused.matMul({ a: t as tf.Tensor2D, b: w as tf.Tensor2D, bias, activation: relu ? 'relu' : 'linear' });
      if (relu) k++;
    } else if (s.type === 'relu') t = tf.relu(t);
    else if (s.type === 'maxpool') t = tf.maxPool(t as tf.Tensor4D, s.kernel, s.stride ?? s.kernel, s.padding ?? 0);
    else if (s.type === 'globalavgpool') t = tf.mean(t, [1, 2], true);
    else if (s.type === 'flatten') t = tf.reshape(tf.transpose(t, [0, 3, 1, 2]), [t.shape[0], -1]); // NCHW order, as the others
    else t = tf.concat(s.branches.map((b) => forward(b, t, ws, next)), 3);
  }
  return t;
}

const nhwc = (a: NamedArray) => tf.transpose(tf.tensor(a.data, a.shape), [0, 2, 3, 1]);

/** OIHW -> HWIO for conv kernels, [out, in] -> [in, out] for linear ones; biases as they are. */
function convertWeight(a: NamedArray): tf.Tensor {
  const t = tf.tensor(a.data, a.shape);
  if (a.shape.length === 4) return tf.transpose(t, [2, 3, 1, 0]);
  return a.shape.length === 2 ? tf.transpose(t) : t;
}

async function toNamed(name: string, t: tf.Tensor): Promise<NamedArray> {
  const nchw = t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : t;
  const data = (await nchw.data()) as Float32Array;
  if (nchw !== t) nchw.dispose();
  return { name, shape: nchw.shape.slice(), data: Float32Array.from(data) };
}

/** Weights back to the spec's layouts (inverse of convertWeight). */
async function weightBack(name: string, t: tf.Tensor): Promise<NamedArray> {
  const back = t.rank === 4 ? tf.transpose(t, [3, 2, 0, 1]) : t.rank === 2 ? tf.transpose(t) : t.clone();
  const out = { name, shape: back.shape.slice(), data: Float32Array.from((await back.data()) as Float32Array) };
  back.dispose();
  return out;
}

interface Calls {
  run: () => void;
  outputs: () => Promise<NamedArray[]>;
}

function calls(w: WorkloadSpec, arrays: NamedArray[], keep: tf.Tensor[]): Calls {
  const hold = <T extends tf.Tensor>(t: T): T => (keep.push(t), t);
  if (w.kind === 'matmul') {
    const a = hold(tf.tensor2d(find(arrays, 'A').data, find(arrays, 'A').shape as [number, number]));
    const b = hold(tf.tensor2d(find(arrays, 'B').data, find(arrays, 'B').shape as [number, number]));
    return {
      run: () => tf.matMul(a, b).dispose(),
      outputs: async () => {
        const c = tf.matMul(a, b);
        const out = await toNamed('C', c);
        c.dispose();
        return [out];
      },
    };
  }
  if (w.kind === 'adam') {
    const p = hold(tf.variable(tf.tensor1d(find(arrays, 'param').data)));
    const g = hold(tf.tensor1d(find(arrays, 'grad').data));
    const [b1, b2] = w.hyper.betas!;
    const opt = tf.train.adam(w.hyper.lr, b1, b2, w.hyper.eps);
    keep.push({ dispose: () => opt.dispose() } as unknown as tf.Tensor);
    const run = () => opt.applyGradients([{ name: p.name, tensor: g }]);
    return { run, outputs: async () => (run(), [await toNamed('param', p)]) };
  }
  const x = hold(tf.tidy(() => nhwc(find(arrays, 'x'))));
  if (w.kind === 'forward') {
    const ws = weightArrays(arrays).map((a) => hold(tf.tidy(() => convertWeight(a))));
    const f = () => forward(w.spec, x, ws);
    return {
      run: () => tf.tidy(f).dispose(),
      outputs: async () => {
        const y = tf.tidy(f);
        const out = await toNamed('y', y);
        y.dispose();
        return [out];
      },
    };
  }
  if (w.kind === 'forward-backward') {
    const ws = weightArrays(arrays).map((a) => hold(tf.tidy(() => convertWeight(a))));
    const dy = hold(tf.tidy(() => nhwc(find(arrays, 'dy'))));
    // d/d(x, ws) of sum(y * dy) = the backward pass with upstream gradient dy.
    const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(forward(w.spec, args[0], args.slice(1)), dy)));
    return {
      run: () => tf.dispose(grads([x, ...ws])),
      outputs: async () => {
        const y = tf.tidy(() => forward(w.spec, x, ws));
        const g = grads([x, ...ws]);
        const out = [await toNamed('y', y), await toNamed('dx', g[0])];
        tf.dispose([y, ...g]);
        return out;
      },
    };
  }
  const vars = weightArrays(arrays).map((a) => hold(tf.variable(tf.tidy(() => convertWeight(a)))));
  const labels = find(arrays, 'labels');
  const classes = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(labels.data), 'int32'), vars[vars.length - 1].shape[0]));
  hold(classes);
  const opt = tf.train.momentum(w.hyper.lr, w.hyper.momentum!);
  keep.push({ dispose: () => opt.dispose() } as unknown as tf.Tensor);
  const loss = () => tf.losses.softmaxCrossEntropy(classes, forward(w.spec, x, vars)) as tf.Scalar;
  return {
    run: () => opt.minimize(loss, false, vars)?.dispose(),
    outputs: async () => {
      const cost = opt.minimize(loss, true, vars)!;
      const out = [await toNamed('loss', tf.reshape(cost, [1]))];
      cost.dispose();
      for (let i = 0; i < vars.length; i++) out.push(await weightBack(`w${i}`, vars[i]));
      return out;
    },
  };
}

let current: { calls: Calls; keep: tf.Tensor[] } | null = null;

async function handle(msg: { cmd: string; backend?: string; workload?: WorkloadSpec; arrays?: NamedArray[]; reps?: number }): Promise<object> {
  if (msg.cmd === 'setup') {
    ready ??= init();
    await ready;
    if (!(await tf.setBackend(msg.backend!))) throw new Error(`backend ${msg.backend} failed to initialise`);
    const flags = msg.backend === 'wasm'
      ? { simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') }
      : {};
    const keep: tf.Tensor[] = [];
    current = { calls: calls(msg.workload!, msg.arrays!, keep), keep };
    return { version: tf.version.tfjs, ...flags };
  }
  if (!current) throw new Error(`${msg.cmd} before setup`);
  if (msg.cmd === 'check') return { arrays: await current.calls.outputs() };
  if (msg.cmd === 'sample') return { seconds: timeSync(current.calls.run, msg.reps!) };
  tf.dispose(current.keep);
  current = null;
  return {};
}

parentPort!.on('message', (msg) => {
  handle(msg).then(
    (reply) => parentPort!.postMessage({ ok: true, ...reply }),
    (e: Error) => {
      const message = String(e?.message ?? e).split('\n')[0];
      // Missing kernels (wasm has no Conv2DBackpropFilter) make a workload impossible, not wrong.
      parentPort!.postMessage({ ok: false, error: message, unsupported: /kernel .* not registered|not implemented/i.test(message) });
    },
  );
});
