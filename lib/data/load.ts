// `--data` values: 'mnist' (the bundled digits), an MNIST-format directory or image file, or
// CIFAR-10 binary batches (a .bin file or a directory of them).
import fs from 'node:fs';
import path from 'node:path';
import { readCifar10 } from './cifar10';
import { concatDatasets, type Dataset } from './dataset';
import { readMnist } from './idx';
import { loadDigits } from './mnist';

const IMAGES = /^(.*)-images[-.]idx3-ubyte(\.gz)?$/;

function labelsFor(dir: string, imagesName: string): string {
  const [, prefix] = IMAGES.exec(imagesName)!;
  const candidates = [`${prefix}-labels-idx1-ubyte`, `${prefix}-labels.idx1-ubyte`].flatMap((n) => [n, `${n}.gz`]);
  const found = candidates.find((n) => fs.existsSync(path.join(dir, n)));
  if (!found) throw new Error(`${path.join(dir, imagesName)}: no labels file beside it (looked for ${candidates.join(', ')})`);
  return path.join(dir, found);
}

/** Loads a dataset named by `spec`; errors say what was looked for. */
export function loadDataset(spec: string): Dataset {
  if (spec === 'mnist') return loadDigits();
  if (!fs.existsSync(spec)) throw new Error(`--data ${spec}: no such file or directory (use 'mnist' for the bundled digits)`);
  if (fs.statSync(spec).isDirectory()) {
    const names = fs.readdirSync(spec).sort();
    const images = names.filter((n) => IMAGES.test(n));
    if (images.length > 0) return concatDatasets(images.map((n) => readMnist(path.join(spec, n), labelsFor(spec, n))));
    const batches = names.filter((n) => /\.bin$/.test(n));
    if (batches.length > 0) return readCifar10(batches.map((n) => path.join(spec, n)));
    throw new Error(`--data ${spec}: found neither MNIST IDX files (*-images-idx3-ubyte[.gz] with *-labels-idx1-ubyte[.gz]) nor CIFAR-10 batches (*.bin)`);
  }
  const name = path.basename(spec);
  if (IMAGES.test(name)) return readMnist(spec, labelsFor(path.dirname(spec), name));
  if (name.endsWith('.bin')) return readCifar10(spec);
  throw new Error(`--data ${spec}: not an MNIST images file (*-images-idx3-ubyte[.gz]) nor a CIFAR-10 batch (*.bin)`);
}
