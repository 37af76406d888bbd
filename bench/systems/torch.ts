// PyTorch, through bench/torch_worker.py in a child process (JSON lines over stdin/stdout). The
// weights and inputs go through a float32 file; the worker builds the network from the same spec.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { NamedArray } from '../workloads';
import { Unsupported, type System } from './system';

interface Layout {
  name: string;
  shape: number[];
  offset: number;
}

function writeArrays(file: string, arrays: NamedArray[]): Layout[] {
  let offset = 0;
  const fd = fs.openSync(file, 'w');
  const layout = arrays.map((a) => {
    fs.writeSync(fd, new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength));
    const entry = { name: a.name, shape: a.shape, offset };
    offset += a.data.byteLength;
    return entry;
  });
  fs.closeSync(fd);
  return layout;
}

function readArrays(file: string, layout: Layout[]): NamedArray[] {
  const bytes = fs.readFileSync(file);
  return layout.map((l) => {
    const n = l.shape.reduce((a, d) => a * d, 1);
    const data = new Float32Array(n);
    new Uint8Array(data.buffer).set(bytes.subarray(l.offset, l.offset + 4 * n));
    return { name: l.name, shape: l.shape, data };
  });
}

/** The first Python that can import torch, with its torch version; null when none can. */
export function findTorch(): { python: string; version: string } | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return null;
}

export function torchSystem(python: string, version: string): System {
  // Debian's torch sends linear layers to OpenBLAS, whose own threads fight torch's: one BLAS
  // thread, and torch.set_num_threads per workload (the worker also sizes BLAS for sgemm).
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  let child: ChildProcessWithoutNullStreams | null = null;
  const waiting: ((line: string) => void)[] = [];
  const file = path.join(os.tmpdir(), `convkit-bench-${process.pid}.f32`);
  let stderr = '';

  const start = () => {
    const c = spawn(python, [path.join(__dirname, '..', 'torch_worker.py')], { env });
    c.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    c.on('exit', () => {
      child = null;
      for (const w of waiting.splice(0)) w(JSON.stringify({ ok: false, error: `worker exited: ${stderr.trim().split('\n').pop()}` }));
    });
    readline.createInterface({ input: c.stdout }).on('line', (line) => waiting.shift()?.(line));
    return c;
  };

  const send = (cmd: object): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    child ??= start();
    waiting.push((line) => {
      const reply = JSON.parse(line) as Record<string, unknown>;
      if (reply.ok) resolve(reply);
      else reject(new Error(`pytorch: ${reply.error}`));
    });
    child.stdin.write(JSON.stringify(cmd) + '\n');
  });

  return {
    name: 'pytorch',
    singleThreaded: false,
    describe: () => `PyTorch ${version} (${python}; OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE unset, torch.set_num_threads per column)`,
    async setup(w, arrays, threads) {
      const layout = writeArrays(file, arrays);
      const reply = await send({ cmd: 'setup', threads, file, arrays: layout,
        workload: { kind: w.kind, spec: w.spec, ...w.hyper } });
      fs.rmSync(file, { force: true });
      if (reply.threads !== threads) throw new Unsupported(`torch runs ${reply.threads} threads, asked for ${threads}`);
      return {
        note: (reply.note as string) || undefined,
        sample: async (reps) => (await send({ cmd: 'time', reps })).seconds as number,
        check: async () => {
          const r = await send({ cmd: 'check', file });
          const out = readArrays(file, r.arrays as Layout[]);
          fs.rmSync(file, { force: true });
          return out;
        },
        dispose: async () => {
          await send({ cmd: 'release' });
        },
      };
    },
    async close() {
      if (child) child.stdin.end(JSON.stringify({ cmd: 'quit' }) + '\n');
      fs.rmSync(file, { force: true });
    },
  };
}
