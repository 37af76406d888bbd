// Makes the TF.js Layers import fixtures under test/fixtures/models/ with the real TensorFlow.js
// (tfjs-layers 4.22): small Keras-style models with seeded random weights, saved as model.json +
// weights.bin, and io.json holding an input batch (NHWC, as tfjs takes it) and tfjs' output.
// The ONNX fixtures come from scripts/make-import-fixtures.py (PyTorch's exporter).
// Run once: node --import tsx scripts/make-import-fixtures.ts   (the outputs are committed)
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'models');

/** Deterministic values in [-scale, scale) (an LCG: fixtures must not change between runs). */
function values(n: number, seed: number, scale = 0.5): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 * 2 - 1) * scale;
  });
}

/** Replaces every weight with seeded values (variances positive, so BatchNorm stays finite). */
function seedWeights(model: tf.LayersModel, seed: number): void {
  model.setWeights(model.weights.map((w, i) => {
    const v = values(w.shape.reduce((a, b) => a * b, 1), seed + i);
    return tf.tensor(w.name.includes('variance') ? v.map((x) => 0.5 + Math.abs(x)) : v, w.shape);
  }));
}

async function save(model: tf.LayersModel, name: string, inputShape: number[], batch: number): Promise<void> {
  const dir = path.join(OUT, name);
  fs.mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const data = artifacts.weightData!;
    const bytes = Array.isArray(data) ? Buffer.concat(data.map((b) => Buffer.from(b))) : Buffer.from(data);
    fs.writeFileSync(path.join(dir, 'weights.bin'), bytes);
    const json = {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json, null, 1));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const x = tf.tensor(values(batch * inputShape.reduce((a, b) => a * b, 1), 99, 1), [batch, ...inputShape]);
  const y = model.predict(x) as tf.Tensor;
  const io = { inputShape: x.shape, input: Array.from(x.dataSync()), outputShape: y.shape, output: Array.from(y.dataSync()) };
  fs.writeFileSync(path.join(dir, 'io.json'), JSON.stringify(io));
  console.log(`${dir}: ${model.countParams()} parameters, output ${JSON.stringify(y.shape)}`);
}

/** Conv, pools, Flatten before Dense (the HWC row order), Dropout, activations inside layers. */
function sequentialCnn(): tf.LayersModel {
  return tf.sequential({
    name: 'small_cnn',
    layers: [
      tf.layers.conv2d({ name: 'conv_a', inputShape: [8, 8, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ name: 'pool_a', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv_b', filters: 6, kernelSize: [3, 2], strides: [1, 2], activation: 'tanh' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ name: 'fc', units: 8, activation: 'sigmoid' }),
      tf.layers.dropout({ name: 'drop', rate: 0.3 }),
      tf.layers.dense({ name: 'out', units: 3, activation: 'softmax' }),
    ],
  });
}

/** An Inception-like block: branches joined by Concatenate, BatchNormalization, global pooling. */
function functionalInception(): tf.LayersModel {
  const x = tf.input({ name: 'image', shape: [6, 6, 3] });
  const apply = (layer: tf.layers.Layer, t: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(t) as tf.SymbolicTensor;
  const b1 = apply(tf.layers.conv2d({ name: 'b1x1', filters: 4, kernelSize: 1, activation: 'relu' }), x);
  const b3 = apply(tf.layers.conv2d({ name: 'b3x3', filters: 5, kernelSize: 3, padding: 'same', useBias: false }), x);
  const pooled = apply(tf.layers.maxPooling2d({ name: 'bpool', poolSize: 3, strides: 1, padding: 'same' }), x);
  const bp = apply(tf.layers.conv2d({ name: 'bproj', filters: 2, kernelSize: 1 }), pooled);
  const joined = apply(tf.layers.concatenate({ name: 'joined' }), [b1, b3, bp]);
  const normed = apply(tf.layers.batchNormalization({ name: 'bn', epsilon: 1e-3 }), joined);
  const act = apply(tf.layers.activation({ name: 'act', activation: 'relu' }), normed);
  const avg = apply(tf.layers.averagePooling2d({ name: 'avg', poolSize: 2 }), act);
  const gap = apply(tf.layers.globalAveragePooling2d({ name: 'gap' }), avg);
  const out = apply(tf.layers.dense({ name: 'logits', units: 4 }), gap);
  return tf.model({ name: 'mini_inception_tfjs', inputs: x, outputs: out });
}

/** A residual block: Add of the block input and two convolutions. */
function residual(): tf.LayersModel {
  const x = tf.input({ name: 'image', shape: [5, 5, 3] });
  const conv = (name: string, activation: 'relu' | 'linear') => tf.layers.conv2d({ name, filters: 3, kernelSize: 3, padding: 'same', activation });
  const y = conv('conv2', 'linear').apply(conv('conv1', 'relu').apply(x)) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([y, x]) as tf.SymbolicTensor;
  const act = tf.layers.reLU({ name: 'act' }).apply(sum) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'fc', units: 2 }).apply(tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(act)) as tf.SymbolicTensor;
  return tf.model({ name: 'residual_tfjs', inputs: x, outputs: out });
}

/** channels_first layers: the layout is kept, only the kernels are transposed. */
function channelsFirstCnn(): tf.LayersModel {
  return tf.sequential({
    name: 'channels_first_cnn',
    layers: [
      tf.layers.conv2d({ name: 'conv', inputShape: [2, 6, 6], filters: 3, kernelSize: 3, dataFormat: 'channelsFirst', activation: 'relu' }),
      tf.layers.maxPooling2d({ name: 'pool', poolSize: 2, dataFormat: 'channelsFirst' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ name: 'out', units: 2 }),
    ],
  });
}

async function main(): Promise<void> {
  const cnn = sequentialCnn();
  seedWeights(cnn, 1);
  await save(cnn, 'tfjs-cnn', [8, 8, 2], 3);
  const inception = functionalInception();
  seedWeights(inception, 100);
  await save(inception, 'tfjs-inception', [6, 6, 3], 2);
  const channelsFirst = channelsFirstCnn();
  seedWeights(channelsFirst, 200);
  await save(channelsFirst, 'tfjs-channels-first', [2, 6, 6], 2);
  const res = residual();
  seedWeights(res, 300);
  await save(res, 'tfjs-residual', [5, 5, 3], 2);
}

void main();
