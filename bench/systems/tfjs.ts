// TensorFlow.js 4.x on its `cpu` and `wasm` backends, each in a worker thread running
// bench/systems/tfjs-worker.ts; a call that runs past the time limit is stopped (the worker
// terminated) and reported as such.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { NamedArray } from '../workloads';
import { TimeLimit, Unsupported, type System } from './system';

interface Reply {
  ok: boolean;
  error?: string;
  unsupported?: boolean;
  [key: string]: unknown;
}

/** The worker runs TypeScript as the harness does (under tsx), or the compiled .js next to this file. */
function startWorker(): Worker {
  const file = path.join(__dirname, `tfjs-worker${path.extname(__filename)}`);
  if (path.extname(__filename) === '.js') return new Worker(file);
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true });
}

/** A TF.js backend as a system; calls longer than `callLimit` seconds are stopped. */
export function tfjsSystem(backend: 'cpu' | 'wasm', callLimit: number): System {
  let note = '';
  let worker: Worker | null = null;

  const send = (msg: object, limit: number): Promise<Reply> => new Promise((resolve, reject) => {
    const w = (worker ??= startWorker());
    const cleanup = () => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
    };
    const timer = setTimeout(() => {
      cleanup();
      worker = null;
      void w.terminate();
      reject(new TimeLimit(`one call did not finish in ${limit.toFixed(0)} s (stopped)`));
    }, limit * 1000);
    const onMessage = (reply: Reply) => {
      cleanup();
      if (reply.ok) resolve(reply);
      else reject(reply.unsupported ? new Unsupported(reply.error) : new Error(`tfjs-${backend}: ${reply.error}`));
    };
    const onError = (e: Error) => {
      cleanup();
      worker = null;
      reject(e);
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.postMessage(msg);
  });

  return {
    name: `tfjs-${backend}`,
    singleThreaded: true,
    describe: () => `TensorFlow.js ${note || backend}`,
    async setup(w, arrays) {
      const r = await send({ cmd: 'setup', backend, workload: { kind: w.kind, spec: w.spec, hyper: w.hyper }, arrays }, 120);
      note = backend === 'wasm'
        ? `${r.version} wasm (SIMD ${r.simd ? 'on' : 'off'}, threads ${r.threads ? 'on' : 'off'}: TF.js hard-codes no threads in Node)`
        : `${r.version} cpu (plain JavaScript, single-threaded)`;
      let last = callLimit / 10;
      return {
        check: async () => (await send({ cmd: 'check' }, callLimit)).arrays as NamedArray[],
        sample: async (reps) => {
          const seconds = (await send({ cmd: 'sample', reps }, Math.max(callLimit, 10 * last * reps))).seconds as number;
          last = seconds;
          return seconds;
        },
        dispose: async () => {
          if (worker) await send({ cmd: 'dispose' }, 120).catch(() => {});
        },
      };
    },
    close: async () => {
      await worker?.terminate();
      worker = null;
    },
  };
}

/** tfjs-node ('tensorflow' backend): null when installed, else why it is skipped. */
export function tfjsNodeStatus(): string | null {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return 'tensorflow (tfjs-node): installed, but this harness does not run it yet';
  } catch {
    return 'tensorflow (tfjs-node): not installed, skipped (its install downloads libtensorflow, which this machine cannot fetch)';
  }
}
