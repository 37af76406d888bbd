import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readPng, writePng } from '../lib/io/png';
import { root } from './helpers/child';

const main = path.join(root, 'lib', 'cli', 'main.ts');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convkit-cli-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

function convkit(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, CONVKIT_NUM_THREADS: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const badFlags: [string[], RegExp][] = [
  [['train', '--epoch', '3'], /unknown option --epoch for 'convkit train'/],
  [['train', '--epochs', 'three'], /--epochs must be an integer >= 1 and <= 100000; got 'three'/],
  [['train', '--epochs', '2.5'], /--epochs must be an integer/],
  [['train', '--lr', '0'], /--lr must be a number > 0/],
  [['train', '--l2', '-0.1'], /--l2 must be a number >= 0; got '-0.1'/],
  [['train', '--optimizer', 'adamw'], /--optimizer must be one of adam, sgd, momentum, nesterov, adagrad, rmsprop, adadelta; got 'adamw'/],
  [['train', '--dropout', '1'], /--dropout must be a number >= 0 and <= 0.95; got '1'/],
  [['train', '--batch-size'], /option --batch-size needs a value/],
  [['train', 'extra'], /'convkit train' takes no arguments; got 'extra'/],
  [['predict', '--index', '-1'], /--index must be an integer >= 0; got '-1'/],
  [['fly'], /unknown command 'fly'/],
];

for (const [args, message] of badFlags) {
  test(`usage error, exit code 2: convkit ${args.join(' ')}`, (t) => {
    const r = convkit(...args);
    t.is(r.status, 2, r.stderr);
    t.regex(r.stderr, message);
    t.is(r.stdout, '');
  });
}

test('--help lists every option of each command, exit code 0', (t) => {
  const r = convkit('train', '--help');
  t.is(r.status, 0);
  for (const flag of ['--model', '--data', '--epochs', '--batch-size', '--optimizer', '--lr', '--l1', '--l2', '--dropout', '--seed', '--out', '--threads', '--limit']) {
    t.true(r.stdout.includes(flag), flag);
  }
  for (const command of ['predict', 'featuremaps', 'summary']) t.is(convkit(command, '--help').status, 0);
  t.regex(convkit('--help').stdout, /Commands:\n\s+train/);
});

test('summary of LeNet-5: 61,706 parameters', (t) => {
  const r = convkit('summary');
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /Total params: 61,706/);
  t.regex(r.stdout, /conv1 \(Conv2D\)/);
});

test('train on a small slice writes every file; predict and featuremaps use the run', (t) => {
  const out = path.join(dir, 'run');
  const r = convkit('train', '--limit', '300', '--epochs', '1', '--out', out, '--seed', '3');
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /test accuracy \d+\.\d\d% \(30 images\)/);
  for (const f of ['run.json', 'history.json', 'curves.png', 'featuremaps.png', 'filters.png', 'report.html']) {
    t.true(fs.existsSync(path.join(out, f)), f);
  }
  const history = JSON.parse(fs.readFileSync(path.join(out, 'history.json'), 'utf8'));
  t.is(history.history.loss.length, 1);
  t.is(history.history.val_loss.length, 1);
  const curves = readPng(path.join(out, 'curves.png'));
  t.deepEqual([curves.width, curves.height], [1200, 460]);
  const maps = readPng(path.join(out, 'featuremaps.png'));
  t.true(maps.width >= 16 * 50 && maps.height > 8 * 40, `featuremaps ${maps.width}x${maps.height}`);
  const filters = readPng(path.join(out, 'filters.png'));
  t.true(filters.width >= 6 * 60 && filters.height >= 60);
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  for (const f of ['curves.png', 'featuremaps.png', 'filters.png']) t.true(html.includes(`src="${f}"`));

  const p = convkit('predict', '--model', out, '--index', '4');
  t.is(p.status, 0, p.stderr);
  t.regex(p.stdout, /test image 4: predicted \d \(\d+\.\d%\), label \d/);
  const digit = path.join(dir, 'digit.png');
  const big = { width: 56, height: 56, channels: 1 as const, data: new Uint8Array(56 * 56).fill(255) };
  for (let y = 10; y < 46; y++) big.data[y * 56 + 28] = 0; // a dark "1" on white paper
  writePng(digit, big);
  const q = convkit('predict', '--model', out, digit);
  t.is(q.status, 0, q.stderr);
  t.regex(q.stdout, /digit\.png: predicted \d/);
  t.regex(convkit('predict', '--model', out).stderr, /give either an IMAGE\.png or --index N/);
  t.regex(convkit('predict', '--model', out, '--index', '30').stderr, /--index must be in 0\.\.29/);

  const f = convkit('featuremaps', '--model', out, '--index', '2');
  t.is(f.status, 0, f.stderr);
  t.is(readPng(path.join(out, 'featuremaps-2.png')).width, maps.width);
});

test('predict and featuremaps with the shipped pre-trained model (--model lenet5)', (t) => {
  const p = convkit('predict', '--model', 'lenet5', '--index', '0', '--top', '3');
  t.is(p.status, 0, p.stderr);
  t.regex(p.stdout, /test image 0: predicted (\d) \(\d+\.\d%\), label \1\n(\s+\d\s+\d+\.\d\d%\n){3}$/);
  const file = path.join(dir, 'maps.png');
  t.is(convkit('featuremaps', '--model', 'lenet5', '--index', '0', '--out', file).status, 0);
  t.true(readPng(file).height > 300);
});

test('train reports unreadable data as an error, exit code 1', (t) => {
  const bad = path.join(dir, 'bad-images-idx3-ubyte');
  fs.writeFileSync(bad, Buffer.from([1, 2, 3, 4]));
  fs.writeFileSync(path.join(dir, 'bad-labels-idx1-ubyte'), Buffer.from([0, 0, 8, 1, 0, 0, 0, 0]));
  const r = convkit('train', '--data', bad, '--out', path.join(dir, 'x'));
  t.is(r.status, 1);
  t.regex(r.stderr, /bad-images-idx3-ubyte: bad magic number 0x01020304/);
});
