// convkit summary: the layer table of LeNet-5 or of a trained model.
import { lenet5, LENET5_VARIANTS, type LeNet5Variant } from '../models/lenet5';
import type { Command, ParsedValues } from './args';
import { loadRunModel } from './run';

async function run(v: ParsedValues): Promise<void> {
  const name = v.model as string;
  const model = name === 'lenet5' ? lenet5({ variant: v.variant as LeNet5Variant }) : await loadRunModel(name);
  process.stdout.write(`${model.summary({ print: false })}\n`);
}

export const summaryCommand: Command = {
  name: 'summary',
  usage: 'convkit summary [--model lenet5|DIR] [--variant relu-max|tanh-avg]',
  summary: 'Print the layers, output shapes and parameter counts of LeNet-5 or of a trained model.',
  options: {
    model: { kind: 'string', value: 'lenet5|DIR', default: 'lenet5', help: "'lenet5' (a fresh LeNet-5) or a directory written by 'convkit train'" },
    variant: { kind: 'string', choices: LENET5_VARIANTS, default: 'relu-max', help: 'LeNet-5 variant (with --model lenet5)' },
  },
  run,
};
