// Declarative command-line options on node:util parseArgs: typed values, ranges, choices,
// generated --help, and usage errors (exit code 2) that name the offending flag.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionKind = 'int' | 'number' | 'string' | 'boolean';

export interface OptionSpec {
  kind: OptionKind;
  help: string;
  /** Placeholder in the help text, e.g. N, X, DIR. */
  value?: string;
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** Exclusive lower bound (e.g. a learning rate must be > 0). */
  above?: number;
  default?: string | number | boolean;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** --threads, for every command that computes. */
export const threadsOption: OptionSpec = { kind: 'int', value: 'N', min: 1, max: 1024, help: 'worker threads (default: all cores)' };

/** --model of the commands that use a trained model. */
export const trainedModelOption: OptionSpec = {
  kind: 'string', value: 'DIR|lenet5', default: './convkit-run',
  help: "a directory written by 'convkit train', or lenet5 (the shipped pre-trained model)",
};

export type ParsedValues = Record<string, string | number | boolean | undefined>;

export interface Command {
  name: string;
  usage: string;
  summary: string;
  options: OptionSpecs;
  /** Positional arguments allowed (default 0). */
  positionals?: { name: string; max: number };
  run(values: ParsedValues, positionals: string[]): Promise<void> | void;
}

function describeRange(spec: OptionSpec): string {
  const parts: string[] = [];
  if (spec.above !== undefined) parts.push(`> ${spec.above}`);
  if (spec.min !== undefined) parts.push(`>= ${spec.min}`);
  if (spec.max !== undefined) parts.push(`<= ${spec.max}`);
  return parts.join(' and ');
}

function convert(flag: string, spec: OptionSpec, raw: string | boolean): string | number | boolean {
  if (spec.kind === 'boolean') return raw;
  const text = String(raw);
  if (spec.kind === 'string') {
    if (spec.choices && !spec.choices.includes(text)) {
      throw new UsageError(`--${flag} must be one of ${spec.choices.join(', ')}; got '${text}'`);
    }
    if (text === '') throw new UsageError(`--${flag} needs a value`);
    return text;
  }
  const value = Number(text);
  const bad = text.trim() === '' || !Number.isFinite(value) || (spec.kind === 'int' && !Number.isInteger(value));
  const outOfRange = (spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max) || (spec.above !== undefined && value <= spec.above);
  if (bad || outOfRange) {
    const range = describeRange(spec);
    throw new UsageError(`--${flag} must be ${spec.kind === 'int' ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}; got '${text}'`);
  }
  return value;
}

/** Parses argv for `command`; throws UsageError for unknown flags, missing or bad values. */
export function parseCommandLine(command: Command, argv: string[]): { values: ParsedValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [flag, spec] of Object.entries(command.options)) options[flag] = { type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, command.options), options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(explainParseError(err as Error & { code?: string }, command));
  }
  const values: ParsedValues = { help: parsed.values.help as boolean | undefined };
  if (values.help) return { values, positionals: [] };
  for (const [flag, spec] of Object.entries(command.options)) {
    const raw = parsed.values[flag] as string | boolean | undefined;
    values[flag] = raw === undefined ? spec.default : convert(flag, spec, raw);
  }
  const max = command.positionals?.max ?? 0;
  if (parsed.positionals.length > max) {
    const extra = parsed.positionals[max];
    throw new UsageError(max === 0 ? `'convkit ${command.name}' takes no arguments; got '${extra}'` : `unexpected argument '${extra}'`);
  }
  return { values, positionals: parsed.positionals };
}

/** `--lr -1` as `--lr=-1`, so a negative value reaches the range check instead of reading as a flag. */
function joinNegativeValues(argv: string[], specs: OptionSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const spec = argv[i].startsWith('--') ? specs[argv[i].slice(2)] : undefined;
    if (spec && spec.kind !== 'boolean' && /^-\d|^-\.\d/.test(argv[i + 1] ?? '')) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

function explainParseError(err: Error & { code?: string }, command: Command): string {
  const flag = /'(-{1,2}[^' ]+)/.exec(err.message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return `unknown option ${flag ?? ''} for 'convkit ${command.name}' (see convkit ${command.name} --help)`;
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return flag && command.options[flag.replace(/^-+/, '')]?.kind === 'boolean' ? `${flag} takes no value` : `option ${flag ?? ''} needs a value`;
  }
  return err.message;
}

export function helpText(command: Command): string {
  const rows = Object.entries(command.options).map(([flag, spec]) => {
    const left = `--${flag}${spec.kind === 'boolean' ? '' : ` ${spec.value ?? (spec.choices ? spec.choices.join('|') : 'X')}`}`;
    const def = spec.default !== undefined && spec.kind !== 'boolean' ? ` (default ${spec.default})` : '';
    const choices = spec.value && spec.choices ? `: ${spec.choices.join(', ')}` : '';
    return [left, spec.help + choices + def] as const;
  });
  rows.push(['--help', 'show this help']);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const lines = rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`);
  return `Usage: ${command.usage}\n\n${command.summary}\n\nOptions:\n${lines.join('\n')}\n`;
}
