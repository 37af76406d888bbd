import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { Conv2D, Dense, Flatten, ReLU, Tensor, input, model, type Model } from '../lib';
import { ModelImportError, fromOnnx, loadOnnxModel, saveOnnxModel, toOnnx } from '../lib/io/onnx';
import { ProtoWriter, readFields } from '../lib/io/protobuf';
import { lenet5 } from '../lib/models/lenet5';
import { googlenet, miniInception } from '../lib/models/googlenet';
import { everyLayer } from './helpers/models';
import { randomArray, rng } from './helpers/random';

const FIXTURES = path.join(__dirname, 'fixtures', 'models');

type Ort = typeof import('onnxruntime-node');
let ort: Ort | null = null;
try {
  ort = require('onnxruntime-node') as Ort;
} catch {
  ort = null;
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

for (const name of ['onnx-cnn', 'onnx-inception', 'onnx-residual']) {
  test(`import ${name} (exported by PyTorch): same predictions as PyTorch within 1e-5`, async (t) => {
    const io = JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'io.json'), 'utf8'));
    const m = await loadOnnxModel(path.join(FIXTURES, name, 'model.onnx'));
    const y = m.forward(new Tensor(Float32Array.from(io.input), io.inputShape));
    t.deepEqual([...y.shape], io.outputShape);
    const err = maxAbs(y.data, io.output);
    t.log(`${name}: max |convkit - PyTorch| = ${err.toExponential(2)}`);
    t.true(err < 1e-5, `max error ${err}`);
  });
}

test('import: the PyTorch CNN maps Conv, BatchNorm, pools, Reshape, Gemm, Softmax onto layers', async (t) => {
  const m = await loadOnnxModel(path.join(FIXTURES, 'onnx-cnn', 'model.onnx'));
  t.deepEqual(m.layers.map((l) => l.className), ['Conv2D', 'ReLU', 'MaxPool2D', 'Conv2D', 'Tanh', 'BatchNorm2D', 'AvgPool2D', 'Flatten', 'Dense', 'Sigmoid', 'Dense', 'Softmax']);
  t.deepEqual([...m.inputShape], [2, 8, 8]);
  // MatMul + Add of the inception fixture became one Dense layer with a bias.
  const inc = await loadOnnxModel(path.join(FIXTURES, 'onnx-inception', 'model.onnx'));
  t.is(inc.layers.at(-1)!.className, 'Dense');
  t.true(inc.layers.at(-1)!.getWeights()[1].data.some((v) => v !== 0));
});

test('import: unsupported operators are all named in one error', async (t) => {
  await t.throwsAsync(loadOnnxModel(path.join(FIXTURES, 'onnx-unsupported', 'model.onnx')), {
    instanceOf: ModelImportError,
    message: /unsupported operators: Mul \(node '\/Mul'\), LeakyRelu \(node '\/LeakyRelu'\)/,
  });
});

/** An ONNX model whose only initializer claims `dims` but holds `bytes` bytes of raw data. */
function hostileTensorModel(dims: number[], bytes: number): Uint8Array {
  const tensor = new ProtoWriter().packed(1, dims).varint(2, 1).string(8, 'w').bytes(9, new Uint8Array(bytes));
  const graph = new ProtoWriter().message(5, tensor);
  return new ProtoWriter().varint(1, 7).message(7, graph).finish();
}

test('import: truncated, garbage and hostile files fail with a ModelImportError, allocating nothing absurd', (t) => {
  const good = fs.readFileSync(path.join(FIXTURES, 'onnx-cnn', 'model.onnx'));
  t.throws(() => fromOnnx(good.subarray(0, good.length - 100)), { instanceOf: ModelImportError });
  t.throws(() => fromOnnx(new Uint8Array(64).fill(0xff)), { instanceOf: ModelImportError, message: /protobuf|varint/ });
  t.throws(() => fromOnnx(new Uint8Array(0)), { instanceOf: ModelImportError, message: /no graph/ });
  t.throws(() => fromOnnx(hostileTensorModel([1e6, 1e6, 1e6], 16)), { instanceOf: ModelImportError, message: /needs .* bytes of raw_data, has 16/ });
  t.throws(() => fromOnnx(hostileTensorModel([2, -3], 0)), { instanceOf: ModelImportError, message: /negative dimension/ });
  // A length prefix claiming more bytes than the file has.
  t.throws(() => fromOnnx(Uint8Array.from([0x3a, 0xff, 0xff, 0xff, 0x0f, 1, 2])), { instanceOf: ModelImportError, message: /claims/ });
  t.throws(() => fromOnnx('model.onnx' as never), { instanceOf: TypeError });
});

test('protobuf: varints, packed and unpacked repeated fields, nested messages round trip', (t) => {
  const inner = new ProtoWriter().string(1, 'héllo').float(2, 1.5);
  const bytes = new ProtoWriter().varint(1, 300).varint(2, -2).packed(3, [1, 2 ** 40, 0]).varint(3, 7).message(4, inner).finish();
  const f = readFields(bytes);
  t.is(f[0].value, 300n);
  t.is(BigInt.asIntN(64, f[1].value), -2n);
  t.is(f.length, 5);
  const nested = readFields(f[4].bytes);
  t.is(new TextDecoder().decode(nested[0].bytes), 'héllo');
});

const models: [string, () => Model, number[]][] = [
  ['every layer kind', () => everyLayer(5), [3, 3, 9, 9]],
  ['LeNet-5', () => lenet5({ seed: 3 }), [2, 1, 28, 28]],
  ['miniInception (BatchNorm, padded stride-2 pools)', () => miniInception({ seed: 4 }), [2, 3, 32, 32]],
  ['GoogLeNet (224x224, 10 classes)', () => googlenet({ numClasses: 10, seed: 9 }), [1, 3, 224, 224]],
  ['asymmetric "same" padding', () => {
    const x = input([2, 8, 8]);
    const c = new ReLU().apply(new Conv2D({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', name: 'strided_same' }).apply(x));
    return model({ inputs: x, outputs: new Dense({ units: 2 }).apply(new Flatten().apply(c)), seed: 6 });
  }, [2, 2, 8, 8]],
];

for (const [name, make, shape] of models) {
  test(`export ${name}: re-import is exact${ort ? ', onnxruntime-node predicts the same within 1e-4' : ''}`, async (t) => {
    const m = make();
    const x = new Tensor(randomArray(shape.reduce((a, b) => a * b, 1), rng(12)), shape);
    const ours = m.forward(x).clone();
    const bytes = toOnnx(m);
    const back = fromOnnx(bytes);
    t.deepEqual([...back.forward(x).data], [...ours.data]);
    if (!ort) {
      t.log('onnxruntime-node is not installed: the onnxruntime comparison is skipped');
      return;
    }
    const session = await ort.InferenceSession.create(bytes);
    const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data, shape) });
    const theirs = result[session.outputNames[0]].data as Float32Array;
    const err = maxAbs(ours.data, theirs);
    t.log(`${name}: max |convkit - onnxruntime| = ${err.toExponential(2)}`);
    t.true(err < 1e-4, `max error ${err}`);
  });
}

test('export: writes an .onnx file that loads back', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convkit-onnx-'));
  try {
    const m = lenet5({ seed: 8 });
    const file = path.join(dir, 'lenet5.onnx');
    await saveOnnxModel(m, file);
    const back = await loadOnnxModel(file);
    t.is(back.countParams(), m.countParams());
    t.deepEqual(back.getWeights().map((w) => [...w.data]), m.getWeights().map((w) => [...w.data]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
