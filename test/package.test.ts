// The three ways the addon gets built and shipped: node-gyp (npm install), cmake-js, and a
// prebuildify prebuild inside the packed tarball, installed into a fresh project.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { info } from '../lib';
import { binding } from '../lib/native';
import { root } from './helpers/child';
import { rng, randomArray } from './helpers/random';

type Sgemm = (ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array,
  B: Float32Array, beta: number, C: Float32Array) => void;

// Headers of the running Node, for node-gyp when npm has not set npm_config_nodedir.
const nodedir = process.env.npm_config_nodedir ?? path.dirname(path.dirname(process.execPath));
const env = { ...process.env, npm_config_nodedir: nodedir };
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
}

function tmpdir(t: { teardown(fn: () => void): void }, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function sgemmResult(sgemm: Sgemm): Float32Array {
  const r = rng(11), M = 33, N = 47, K = 29;
  const A = randomArray(M * K, r), B = randomArray(K * N, r), C = new Float32Array(M * N);
  sgemm(true, false, M, N, K, 0.5, A, B, 0, C);
  return C;
}

// The package as `npm pack` would ship it, with dist/ compiled into it, in a folder of its own.
function stagePackage(dir: string): string {
  const stage = path.join(dir, 'convkit');
  const { files } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { files: string[] };
  fs.mkdirSync(stage);
  for (const f of [...files, 'package.json'].filter((f) => !['dist/', 'prebuilds/'].includes(f))) {
    fs.cpSync(path.join(root, f), path.join(stage, f), { recursive: true });
  }
  run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p',
    path.join(root, 'tsconfig.build.json'), '--outDir', path.join(stage, 'dist')], root);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'));
  return stage;
}

function pack(stage: string, dest: string): string {
  const out = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], stage);
  return path.join(dest, (JSON.parse(out) as { filename: string }[])[0].filename);
}

function installInFreshProject(dir: string, tarball: string, ignoreScripts: boolean): string {
  const app = fs.mkdtempSync(path.join(dir, 'app-'));
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...(ignoreScripts ? ['--ignore-scripts'] : []), tarball], app);
  return app;
}

// Loads convkit in the fresh project and reports which addon file it took and a result.
function useInstalled(app: string): { addon: string; isa: string; C: number[] } {
  const script = `
    const convkit = require('convkit');
    const addon = require('node-gyp-build')(require('path').dirname(require.resolve('convkit/package.json')));
    const M = 3, N = 2, K = 2, C = new Float32Array(M * N);
    addon.sgemm(false, false, M, N, K, 1, Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(1, 0, 0, 1), 0, C);
    const i = convkit.info();
    console.log(JSON.stringify({ addon: i.addon, isa: i.isa, C: Array.from(C) }));`;
  return JSON.parse(run(process.execPath, ['-e', script], app));
}

test('the cmake-js build loads and computes what the node-gyp build does', (t) => {
  const out = tmpdir(t, 'convkit-cmake-');
  run(bin('cmake-js'), ['compile', '--out', out], root);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon = require(path.join(out, 'Release', 'convkit.node')) as { sgemm: Sgemm; info(): { isa: string } };
  t.is(addon.info().isa, info().isa);
  t.deepEqual(sgemmResult(addon.sgemm), sgemmResult(binding<Sgemm>('sgemm')));
});

test('the packed tarball installs into a fresh project: from a prebuild without scripts, else from source', (t) => {
  const dir = tmpdir(t, 'convkit-pack-');
  const stage = stagePackage(dir);

  run('npm', ['run', 'prebuild'], stage); // npm puts its node-gyp on PATH, as for a release
  t.true(fs.existsSync(path.join(stage, 'prebuilds', `${process.platform}-${process.arch}`, 'convkit.node')));
  const withPrebuild = installInFreshProject(dir, pack(stage, dir), true);
  const prebuilt = useInstalled(withPrebuild);
  t.regex(prebuilt.addon, /node_modules\/convkit\/prebuilds\//);
  t.false(fs.existsSync(path.join(withPrebuild, 'node_modules', 'convkit', 'build')), 'nothing was compiled');
  t.deepEqual(prebuilt.C, [1, 2, 3, 4, 5, 6]);

  fs.rmSync(path.join(stage, 'prebuilds'), { recursive: true });
  fs.rmSync(path.join(dir, 'convkit-0.1.0.tgz'), { force: true });
  const fromSource = useInstalled(installInFreshProject(dir, pack(stage, dir), false));
  t.regex(fromSource.addon, /node_modules\/convkit\/build\/Release\/convkit\.node$/);
  t.deepEqual(fromSource.C, [1, 2, 3, 4, 5, 6]);
  t.is(fromSource.isa, info().isa);
});
