// convkit predict: the class of a PNG image, or of image N of a run's test split.
import type { Tensor } from '../tensor';
import { readPng } from '../io/png';
import { digitFromImage } from '../data/digit-image';
import { UsageError, threadsOption, trainedModelOption, type Command, type ParsedValues } from './args';
import { applyThreads, loadRunModel, loadSplit, readRunInfo, sample, softmaxRow } from './run';

/** The image to classify: IMAGE.png, or --index N of the run's test split (with its label). */
export function chooseInput(v: ParsedValues, positionals: string[], dir: string): { x: Tensor; label: number | null; what: string } {
  const index = v.index as number | undefined;
  if ((index === undefined) === (positionals.length === 0)) {
    throw new UsageError('give either an IMAGE.png or --index N (an image of the run\'s test split)');
  }
  if (index !== undefined) {
    const test = loadSplit(readRunInfo(dir)).test;
    return { x: sample(test, index), label: test.y[index], what: `test image ${index}` };
  }
  return { x: digitFromImage(readPng(positionals[0])), label: null, what: positionals[0] };
}

async function run(v: ParsedValues, positionals: string[]): Promise<void> {
  applyThreads(v.threads as number | undefined);
  const dir = v.model as string;
  const model = await loadRunModel(dir);
  const { x, label, what } = chooseInput(v, positionals, dir);
  if (x.shape.slice(1).join() !== model.inputShape.join()) {
    throw new Error(`${what} is [${x.shape.slice(1)}] but the model takes [${model.inputShape}]`);
  }
  const probabilities = softmaxRow(model.forward(x).data);
  const ranked = probabilities.map((p, k) => ({ k, p })).sort((a, b) => b.p - a.p);
  process.stdout.write(`${what}: predicted ${ranked[0].k} (${(100 * ranked[0].p).toFixed(1)}%)${label === null ? '' : `, label ${label}`}\n`);
  if (v.top !== undefined) {
    for (const { k, p } of ranked.slice(0, v.top as number)) process.stdout.write(`  ${String(k).padStart(3)}  ${(100 * p).toFixed(2).padStart(6)}%\n`);
  }
}

export const predictCommand: Command = {
  name: 'predict',
  usage: 'convkit predict --model DIR (IMAGE.png | --index N) [options]',
  summary: 'Classify a PNG digit (any size; dark-on-light pictures are inverted, larger ones centred as MNIST) or test image N of the run.',
  positionals: { name: 'IMAGE.png', max: 1 },
  options: {
    model: trainedModelOption,
    index: { kind: 'int', value: 'N', min: 0, help: "image N of the run's test split instead of a PNG" },
    top: { kind: 'int', value: 'K', min: 1, max: 1000, help: 'also list the K most likely classes' },
    threads: threadsOption,
  },
  run,
};
