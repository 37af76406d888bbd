#!/usr/bin/env node
// convkit command line: `convkit <command> [options]`. Exit codes: 0 done, 1 failed, 2 usage error.
import { helpText, parseCommandLine, UsageError, type Command } from './args';
import { trainCommand } from './train';
import { predictCommand } from './predict';
import { featuremapsCommand } from './featuremaps';
import { summaryCommand } from './summary';

const COMMANDS: Command[] = [trainCommand, predictCommand, featuremapsCommand, summaryCommand];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary.split('\n')[0]}`);
  return `Usage: convkit <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'convkit <command> --help' for its options. 'npx convkit train' trains LeNet-5 on the bundled MNIST digits.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`${require('../../package.json').version}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command '${name}'; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    const { values, positionals } = parseCommandLine(command, rest);
    if (values.help) {
      process.stdout.write(helpText(command));
      return 0;
    }
    await command.run(values, positionals);
    return 0;
  } catch (err) {
    const usage = err instanceof UsageError;
    process.stderr.write(`convkit${command ? ` ${command.name}` : ''}: ${usage ? '' : 'error: '}${(err as Error).message}\n`);
    if (!usage && process.env.CONVKIT_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return usage ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
