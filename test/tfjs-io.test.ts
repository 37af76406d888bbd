import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { Conv2D, MaxPool2D, Tensor, input, model, type Model } from '../lib';
import { ModelImportError, fromTfjsArtifacts, loadLayersModel, saveLayersModel, toTfjsArtifacts } from '../lib/io/tfjs';
import { lenet5 } from '../lib/models/lenet5';
import { everyLayer } from './helpers/models';
import { randomArray, rng } from './helpers/random';

const FIXTURES = path.join(__dirname, 'fixtures', 'models');

/** [N, H, W, C] -> [N, C, H, W] (or unchanged for vectors). */
function nhwcToNchw(data: ArrayLike<number>, shape: number[]): Tensor {
  if (shape.length !== 4) return new Tensor(Float32Array.from(data), shape);
  const [N, H, W, C] = shape;
  const out = new Float32Array(data.length);
  for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) {
    out[((n * C + c) * H + h) * W + w] = data[((n * H + h) * W + w) * C + c];
  }
  return new Tensor(out, [N, C, H, W]);
}

function nchwToNhwc(x: Tensor): tf.Tensor {
  if (x.rank !== 4) return tf.tensor(x.data, [...x.shape]);
  return tf.transpose(tf.tensor(x.data, [...x.shape]), [0, 2, 3, 1]);
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

for (const name of ['tfjs-cnn', 'tfjs-inception', 'tfjs-channels-first', 'tfjs-residual']) {
  test(`import ${name} (made by tfjs-layers): same predictions as TensorFlow.js within 1e-5`, async (t) => {
    const io = JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'io.json'), 'utf8'));
    const m = await loadLayersModel(path.join(FIXTURES, name));
    const x = name === 'tfjs-channels-first' ? new Tensor(Float32Array.from(io.input), io.inputShape) : nhwcToNchw(io.input, io.inputShape);
    const y = m.forward(x);
    t.deepEqual([...y.shape], io.outputShape);
    const err = maxAbs(y.data, io.output);
    t.log(`${name}: max |convkit - tfjs| = ${err.toExponential(2)}`);
    t.true(err < 1e-5, `max error ${err}`);
  });
}

test('import: directory, model.json path and file:// URL give the same model; the input becomes NCHW', async (t) => {
  const dir = path.join(FIXTURES, 'tfjs-cnn');
  const a = await loadLayersModel(dir);
  const b = await loadLayersModel(path.join(dir, 'model.json'));
  const c = await loadLayersModel(pathToFileURL(dir).href);
  t.deepEqual([...a.inputShape], [2, 8, 8]);
  t.deepEqual(a.getWeights().map((w) => [...w.data]), b.getWeights().map((w) => [...w.data]));
  t.deepEqual(a.getWeights().map((w) => [...w.data]), c.getWeights().map((w) => [...w.data]));
  t.deepEqual(a.getLayer('conv_a').getWeights()[0].shape, [4, 2, 3, 3]);
  await t.throwsAsync(loadLayersModel('https://example.com/model.json'), { instanceOf: ModelImportError, message: /local paths/ });
});

async function tfjsPredict(m: Model, x: Tensor): Promise<Float32Array> {
  const { modelTopology, weightSpecs, weightData } = toTfjsArtifacts(m);
  const buffer = weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer;
  const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs: weightSpecs as tf.io.WeightsManifestEntry[], weightData: buffer }));
  const y = loaded.predict(nchwToNhwc(x)) as tf.Tensor;
  return y.dataSync() as Float32Array;
}

for (const [name, make, shape] of [
  ['every layer kind (branches, BatchNorm, Flatten before Dense)', () => everyLayer(3), [3, 3, 9, 9]],
  ['LeNet-5', () => lenet5({ seed: 2 }), [4, 1, 28, 28]],
] as const) {
  test(`export ${name}: TensorFlow.js loads it and predicts the same within 1e-4; re-import is exact`, async (t) => {
    const m = make();
    const x = new Tensor(randomArray((shape as readonly number[]).reduce((a, b) => a * b, 1), rng(11)), [...shape]);
    const ours = m.forward(x).clone();
    const theirs = await tfjsPredict(m, x);
    const err = maxAbs(ours.data, theirs);
    t.log(`${name}: max |convkit - tfjs| = ${err.toExponential(2)}`);
    t.true(err < 1e-4, `max error ${err}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convkit-tfjs-'));
    try {
      await saveLayersModel(m, dir);
      const back = await loadLayersModel(dir);
      t.deepEqual([...back.forward(x).data], [...ours.data]);
      t.is(back.countParams(), m.countParams());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('export: padding Keras cannot express and grouped convolutions are refused by name', (t) => {
  const x = input([2, 8, 8]);
  const odd = model({ inputs: x, outputs: new MaxPool2D({ name: 'odd_pool', poolSize: 3, strides: 2, padding: 1 }).apply(x) });
  t.throws(() => toTfjsArtifacts(odd), { instanceOf: ModelImportError, message: /odd_pool.*padding/ });
  const y = input([2, 8, 8]);
  const grouped = model({ inputs: y, outputs: new Conv2D({ name: 'grouped', filters: 2, kernelSize: 1, groups: 2 }).apply(y) });
  t.throws(() => toTfjsArtifacts(grouped), { instanceOf: ModelImportError, message: /grouped/ });
});

function artifactsOf(dir: string) {
  const json = JSON.parse(fs.readFileSync(path.join(FIXTURES, dir, 'model.json'), 'utf8'));
  return { json, weightData: new Uint8Array(fs.readFileSync(path.join(FIXTURES, dir, 'weights.bin'))) };
}

test('import: unsupported layers, bad weights and hostile manifests fail with a clear error', (t) => {
  const load = (mutate: (json: { modelTopology: { config: { layers: Record<string, any>[] } }; weightsManifest: { weights: { name: string; shape: number[]; dtype: string }[] }[] }) => void, weightData?: Uint8Array) => {
    const a = artifactsOf('tfjs-cnn');
    mutate(a.json);
    return () => fromTfjsArtifacts({ modelTopology: a.json.modelTopology, weightSpecs: a.json.weightsManifest[0].weights, weightData: weightData ?? a.weightData });
  };
  t.throws(load((j) => { j.modelTopology.config.layers[1].class_name = 'LSTM'; }), { instanceOf: ModelImportError, message: /pool_a.*LSTM.*not supported/ });
  t.throws(load((j) => { j.modelTopology.config.layers[0].config.activation = 'elu'; }), { instanceOf: ModelImportError, message: /activation 'elu'/ });
  t.throws(load((j) => { j.weightsManifest[0].weights[0].shape = [3, 3, 4, 2]; }), { instanceOf: ModelImportError, message: /conv_a\/kernel/ });
  t.throws(load((j) => { j.weightsManifest[0].weights[0].shape = [1e6, 1e6, 1e6, 4]; }), { instanceOf: ModelImportError, message: /fewer than the manifest/ });
  t.throws(load((j) => { j.weightsManifest[0].weights[0].dtype = 'int32'; }), { instanceOf: ModelImportError, message: /float32/ });
  t.throws(load(() => {}, new Uint8Array(10)), { instanceOf: ModelImportError, message: /bytes/ });
  t.throws(load((j) => { j.modelTopology.config.layers[0].config.batch_input_shape = [null, 8, -1, 2]; }), { instanceOf: ModelImportError, message: /batch_input_shape/ });
  t.throws(() => fromTfjsArtifacts({ modelTopology: { class_name: 'Model', config: { layers: 'x' } }, weightSpecs: [], weightData: new Uint8Array(0) }), { instanceOf: ModelImportError });
  // A layer reading one listed after it (a cycle, or a hostile order) is refused, not recursed into.
  const inc = artifactsOf('tfjs-inception');
  const layers = inc.json.modelTopology.config.layers as { name: string; inbound_nodes: unknown[][][] }[];
  layers.find((l) => l.name === 'b1x1')!.inbound_nodes = [[['logits', 0, 0, {}]]];
  t.throws(() => fromTfjsArtifacts({ modelTopology: inc.json.modelTopology, weightSpecs: inc.json.weightsManifest[0].weights, weightData: inc.weightData }), { instanceOf: ModelImportError, message: /'b1x1' reads 'logits', which is not a layer listed before it/ });
});

test('import: the tensorflowjs_converter wrapping (model_config) and Keras 3 inbound nodes are read', (t) => {
  const { json, weightData } = artifactsOf('tfjs-inception');
  const io = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'tfjs-inception', 'io.json'), 'utf8'));
  const topology = json.modelTopology;
  // Keras 3 writes inbound nodes as {args: [keras tensors with config.keras_history]}.
  const history = (node: unknown[]) => ({ class_name: '__keras_tensor__', config: { keras_history: node.slice(0, 3) } });
  for (const layer of topology.config.layers) {
    const [node] = layer.inbound_nodes as unknown[][][];
    if (node) layer.inbound_nodes = [{ args: [node.length === 1 ? history(node[0]) : node.map(history)], kwargs: {} }];
  }
  const wrapped = { model_config: { ...topology, class_name: 'Functional' }, training_config: { loss: 'mse' } };
  const m = fromTfjsArtifacts({ modelTopology: wrapped, weightSpecs: json.weightsManifest[0].weights, weightData });
  const y = m.forward(nhwcToNchw(io.input, io.inputShape));
  t.true(maxAbs(y.data, io.output) < 1e-5);
});

test('import: weight paths outside the model directory are refused', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convkit-tfjs-'));
  try {
    const { json } = artifactsOf('tfjs-cnn');
    json.weightsManifest[0].paths = ['../../etc/passwd'];
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    await t.throwsAsync(loadLayersModel(dir), { instanceOf: ModelImportError, message: /relative path inside/ });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
