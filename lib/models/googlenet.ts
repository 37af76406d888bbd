// GoogLeNet (Szegedy et al. 2014, Table 1) for 224x224 RGB images, and miniInception, a small
// network of the same kind for 32x32 (CIFAR-sized) images that trains in minutes on a CPU.
//
// GoogLeNet, NCHW shapes per sample:
//   conv1 7x7/2 -> 64x112x112, pool1 3x3/2 -> 56x56, conv2 1x1 64 + 3x3 192 -> 192x56x56,
//   pool2 3x3/2 -> 28x28, 3a -> 256, 3b -> 480, pool3 -> 14x14, 4a 512, 4b 512, 4c 512, 4d 528,
//   4e 832, pool4 -> 7x7, 5a 832, 5b 1024, 7x7 average pool -> 1024, dropout 40%, linear.
// Differences from the paper: the two local response normalizations are omitted (later work,
// and torchvision, dropped them: they cost time and gave little); the 3x3/2 max pools pad by 1
// instead of using ceil-mode sizes (same output sizes). batchNorm: true puts BatchNorm after each
// convolution (Inception v2's change, like torchvision's googlenet), without conv biases.
//
// Auxiliary classifiers (auxClassifiers: true, paper section 5) on the outputs of 4a and 4d:
// 5x5/3 average pool -> 1x1 conv 128 + ReLU -> FC 1024 + ReLU -> dropout 70% -> linear. A model
// has one output, so the output is then [3·numClasses]: main logits, aux1 logits, aux2 logits;
// GoogLeNetLoss trains it (main loss + 0.3 · each auxiliary loss) and mainLogits() reads the first.
import { Tensor, formatShape, type Shape } from '../tensor';
import { input, type SymbolicTensor } from '../symbolic-tensor';
import { Model } from '../model';
import { AvgPool2D, Concat, Dense, Dropout, Flatten, GlobalAvgPool2D, MaxPool2D, ReLU } from '../layers';
import { positiveInt } from '../layers/options';
import { Loss, type LossResult, type Targets } from '../losses';
import { softmaxCrossEntropy } from '../ops/losses';
import { convBlock, inceptionModule, type InceptionArgs } from './inception';

export type InceptionSizes = Omit<InceptionArgs, 'name' | 'batchNorm' | 'kernelInitializer'>;

const sizes = (filters1x1: number, reduce3x3: number, filters3x3: number, reduce5x5: number, filters5x5: number, poolProj: number): InceptionSizes => ({
  filters1x1, reduce3x3, filters3x3, reduce5x5, filters5x5, poolProj,
});

/** The Inception rows of Table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj. */
export const GOOGLENET_INCEPTION: Readonly<Record<string, InceptionSizes>> = Object.freeze({
  '3a': sizes(64, 96, 128, 16, 32, 32),
  '3b': sizes(128, 128, 192, 32, 96, 64),
  '4a': sizes(192, 96, 208, 16, 48, 64),
  '4b': sizes(160, 112, 224, 24, 64, 64),
  '4c': sizes(128, 128, 256, 24, 64, 64),
  '4d': sizes(112, 144, 288, 32, 64, 64),
  '4e': sizes(256, 160, 320, 32, 128, 128),
  '5a': sizes(256, 160, 320, 32, 128, 128),
  '5b': sizes(384, 192, 384, 48, 128, 128),
});

export interface GoogLeNetOptions {
  /** Default 1000 (ImageNet). */
  numClasses?: number;
  /** Two auxiliary classifiers on 4a and 4d; the output becomes [3·numClasses]. Default false. */
  auxClassifiers?: boolean;
  /** BatchNorm after every convolution. Default false (the paper's conv + ReLU). */
  batchNorm?: boolean;
  /** Default [3, 224, 224]; other sizes work if the feature maps stay >= 1 (the final pool is global). */
  inputShape?: Shape;
  seed?: number;
}

const pool3s2 = (x: SymbolicTensor, name: string) => new MaxPool2D({ poolSize: 3, strides: 2, padding: 1, name }).apply(x);

function auxClassifier(x: SymbolicTensor, numClasses: number, name: string, batchNorm: boolean): SymbolicTensor {
  const pooled = new AvgPool2D({ poolSize: 5, strides: 3, name: `${name}_pool` }).apply(x);
  const conv = convBlock(pooled, { filters: 128, kernelSize: 1, name: `${name}_conv`, batchNorm });
  const fc = new ReLU({ name: `${name}_fc_relu` }).apply(new Dense({ units: 1024, name: `${name}_fc` }).apply(new Flatten({ name: `${name}_flatten` }).apply(conv)));
  return new Dense({ units: numClasses, name: `${name}_classifier` }).apply(new Dropout({ rate: 0.7, name: `${name}_dropout` }).apply(fc));
}

/** GoogLeNet as in Table 1 of the paper (see the header for the differences). Outputs logits. */
export function googlenet(options: GoogLeNetOptions = {}): Model {
  const { auxClassifiers = false, batchNorm = false, inputShape = [3, 224, 224], seed } = options;
  const numClasses = positiveInt(options.numClasses ?? 1000, 'googlenet numClasses');
  const x = input(inputShape, { name: 'image' });
  const inception = (t: SymbolicTensor, id: string) => inceptionModule({ ...GOOGLENET_INCEPTION[id], name: `inception_${id}`, batchNorm }).apply(t);
  let t = pool3s2(convBlock(x, { filters: 64, kernelSize: 7, stride: 2, name: 'conv1', batchNorm }), 'pool1');
  t = convBlock(convBlock(t, { filters: 64, kernelSize: 1, name: 'conv2_reduce', batchNorm }), { filters: 192, kernelSize: 3, name: 'conv2', batchNorm });
  t = pool3s2(t, 'pool2');
  t = pool3s2(inception(inception(t, '3a'), '3b'), 'pool3');
  const aux: SymbolicTensor[] = [];
  for (const id of ['4a', '4b', '4c', '4d', '4e']) {
    t = inception(t, id);
    if (auxClassifiers && (id === '4a' || id === '4d')) aux.push(auxClassifier(t, numClasses, `aux${aux.length + 1}`, batchNorm));
  }
  t = inception(inception(pool3s2(t, 'pool4'), '5a'), '5b');
  const features = new Dropout({ rate: 0.4, name: 'dropout' }).apply(new GlobalAvgPool2D({ name: 'avgpool' }).apply(t));
  const logits = new Dense({ units: numClasses, name: 'classifier' }).apply(features);
  const output = auxClassifiers ? new Concat({ name: 'logits_and_aux' }).apply([logits, ...aux]) : logits;
  return new Model({ inputs: x, outputs: output, name: auxClassifiers ? 'googlenet_aux' : 'googlenet', seed });
}

/** The main classifier's logits [N, K] (a copy) from a googlenet output with auxiliary logits [N, 3K]. */
export function mainLogits(y: Tensor, numClasses: number): Tensor {
  const [N, width] = y.shape;
  if (y.rank !== 2 || width % numClasses !== 0) throw new RangeError(`mainLogits: expects [N, k·${numClasses}], got ${formatShape(y.shape)}`);
  const out = new Float32Array(N * numClasses);
  for (let n = 0; n < N; n++) out.set(y.data.subarray(n * width, n * width + numClasses), n * numClasses);
  return new Tensor(out, [N, numClasses]);
}

/**
 * The paper's training loss for googlenet({auxClassifiers: true}): cross-entropy of the main
 * logits plus auxWeight (0.3) times that of each auxiliary classifier, on outputs [N, heads·K].
 */
export class GoogLeNetLoss extends Loss {
  readonly name = 'googlenetLoss';
  readonly numClasses: number;
  readonly auxWeight: number;

  constructor({ numClasses, auxWeight = 0.3 }: { numClasses: number; auxWeight?: number }) {
    super();
    this.numClasses = positiveInt(numClasses, 'GoogLeNetLoss numClasses');
    if (!(Number.isFinite(auxWeight) && auxWeight >= 0)) throw new RangeError(`GoogLeNetLoss auxWeight must be >= 0, got ${auxWeight}`);
    this.auxWeight = auxWeight;
  }

  compute(prediction: Tensor, target: Targets): LossResult {
    const K = this.numClasses;
    const [N, width] = prediction.shape;
    if (prediction.rank !== 2 || width % K !== 0) throw new RangeError(`${this.name}: expects logits [N, heads·${K}], got ${formatShape(prediction.shape)}`);
    const grad = this.grad(prediction);
    let loss = 0;
    for (let h = 0; h < width / K; h++) {
      const weight = h === 0 ? 1 : this.auxWeight;
      const head = new Tensor(new Float32Array(N * K), [N, K]);
      for (let n = 0; n < N; n++) head.data.set(prediction.data.subarray(n * width + h * K, n * width + (h + 1) * K), n * K);
      const r = softmaxCrossEntropy(head, target);
      loss += weight * r.loss;
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < K; k++) grad.data[n * width + h * K + k] = weight * r.grad.data[n * K + k];
      }
    }
    return { loss, grad };
  }
}

export interface MiniInceptionOptions {
  numClasses?: number;
  /** Default [3, 32, 32]. */
  inputShape?: Shape;
  /** BatchNorm after every convolution (trains faster). Default true. */
  batchNorm?: boolean;
  seed?: number;
}

/**
 * A small GoogLeNet for 32x32 images (~0.33M parameters, ~4 ms per image for a training step on
 * 2 busy cores: a CIFAR-10 epoch in minutes): stem 3x3 conv 64 + 2x2 pool (16x16), two Inception
 * modules (128, 192 channels), 3x3/2 pool (8x8), two more (256, 256 channels), global average
 * pool, dropout 20%, linear.
 */
export function miniInception(options: MiniInceptionOptions = {}): Model {
  const { inputShape = [3, 32, 32], batchNorm = true, seed } = options;
  const numClasses = positiveInt(options.numClasses ?? 10, 'miniInception numClasses');
  const x = input(inputShape, { name: 'image' });
  const block = (t: SymbolicTensor, name: string, s: InceptionSizes) => inceptionModule({ ...s, name, batchNorm }).apply(t);
  let t = new MaxPool2D({ poolSize: 2, name: 'stem_pool' }).apply(convBlock(x, { filters: 64, kernelSize: 3, name: 'stem', batchNorm }));
  t = block(t, 'inception_a', sizes(32, 32, 48, 8, 24, 24));
  t = block(t, 'inception_b', sizes(48, 48, 80, 12, 32, 32));
  t = pool3s2(t, 'pool');
  t = block(t, 'inception_c', sizes(80, 64, 96, 16, 48, 32));
  t = block(t, 'inception_d', sizes(80, 64, 96, 16, 48, 32));
  const features = new Dropout({ rate: 0.2, name: 'dropout' }).apply(new GlobalAvgPool2D({ name: 'avgpool' }).apply(t));
  return new Model({ inputs: x, outputs: new Dense({ units: numClasses, name: 'classifier' }).apply(features), name: 'mini_inception', seed });
}
