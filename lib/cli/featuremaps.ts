// convkit featuremaps: one image through every layer of a trained model, as a PNG grid.
import fs from 'node:fs';
import path from 'node:path';
import { writePng } from '../io/png';
import { featureMapGrid } from '../viz/grid';
import { layerActivations } from '../viz/featuremaps';
import { threadsOption, trainedModelOption, type Command, type ParsedValues } from './args';
import { chooseInput } from './predict';
import { applyThreads, argmaxRows, loadRunModel } from './run';

async function run(v: ParsedValues, positionals: string[]): Promise<void> {
  applyThreads(v.threads as number | undefined);
  const dir = v.model as string;
  const model = await loadRunModel(dir);
  const { x, label, what } = chooseInput(v, positionals, dir);
  const guess = argmaxRows(model.forward(x))[0];
  const title = `${what}: ${label === null ? '' : `label ${label}, `}predicted ${guess}`;
  const name = v.index !== undefined ? `featuremaps-${v.index}.png` : 'featuremaps-image.png';
  const file = (v.out as string | undefined) ?? (fs.existsSync(dir) && fs.statSync(dir).isDirectory() ? path.join(dir, name) : name);
  writePng(file, featureMapGrid(layerActivations(model, x), { title }));
  process.stdout.write(`${title}\nwrote ${file}\n`);
}

export const featuremapsCommand: Command = {
  name: 'featuremaps',
  usage: 'convkit featuremaps --model DIR (--index N | IMAGE.png) [--out FILE]',
  summary: 'Draw the feature maps of one image through every layer (conv1, relu1, pool1, ...) as a PNG.',
  positionals: { name: 'IMAGE.png', max: 1 },
  options: {
    model: trainedModelOption,
    index: { kind: 'int', value: 'N', min: 0, help: "image N of the run's test split" },
    out: { kind: 'string', value: 'FILE', help: 'PNG to write (default DIR/featuremaps-N.png, or ./featuremaps-N.png for lenet5)' },
    threads: threadsOption,
  },
  run,
};
