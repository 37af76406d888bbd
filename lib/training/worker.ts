// Entry of a training worker thread: rebuilds the model (and its compiled objectives) from
// config and weights, then serves fit-epoch, evaluate and predict requests one at a time with
// the same loop code the main thread would run.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { setIsa } from '../runtime';
import { compileFromSpec } from './compile';
import { fitEpoch, predictBatches, TrainingLoop, type LoopHooks } from './loop';
import { gradTransform } from './clip';
import type { FitEpochResult, Reply, Request, WorkerInit } from './protocol';
import { modelFromConfig } from './registry';
import { fromDatasetData, fromTensorData, tensorData } from './shared';
import { transferList } from './serialize';
import { copyWeights, loadWeights } from './weights';
import type { Logs } from './types';
import './builtins';

const port = parentPort!;
const init = workerData as WorkerInit;
const control = new Int32Array(init.control);

function post(reply: Reply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(reply, transfer);
}

async function start() {
  if (init.setup) {
    if (/\.m[jt]s$/.test(init.setup)) await import(pathToFileURL(init.setup).href);
    else require(init.setup);
  }
  setIsa(init.isa);
  const model = modelFromConfig(init.modelConfig);
  loadWeights(model, init.weights);
  const compiled = init.spec ? compileFromSpec(model, init.spec) : null;
  if (compiled && init.optimizerState !== undefined && init.optimizerState !== null) {
    compiled.optimizer.loadStateDict(init.optimizerState);
  }
  const loop = compiled ? new TrainingLoop(model, { ...compiled, transformGrads: gradTransform(init.clip) }) : null;
  const hooks: LoopHooks = {
    shouldStop: () => Atomics.load(control, 0) !== 0,
    onBatchEnd: (batch: number, logs: Logs) => post({ type: 'batch', batch, logs }),
  };

  async function handle(request: Request): Promise<{ result: unknown; transfer?: ArrayBuffer[] }> {
    if (request.type === 'predict') {
      const y = await predictBatches(model, fromTensorData(request.x), request.batchSize, hooks);
      return { result: tensorData(y), transfer: [y.data.buffer as ArrayBuffer] };
    }
    if (!loop || !compiled) throw new Error(`${request.type}: the model was not compiled`);
    if (request.type === 'evaluate') {
      return { result: await loop.evaluate(fromDatasetData(request.data), request.batchSize, hooks) };
    }
    loadWeights(model, request.weights);
    // lr first: optimizers whose state holds per-group rates restore them from the state.
    compiled.optimizer.lr = request.lr;
    compiled.optimizer.loadStateDict(request.optimizerState);
    const logs = await fitEpoch(loop, fromDatasetData(request.train), {
      ...request,
      validation: request.validation && fromDatasetData(request.validation),
    }, hooks);
    const result: FitEpochResult = { logs, weights: copyWeights(model), optimizerState: compiled.optimizer.stateDict() };
    // Weights are fresh copies: transferred. The optimizer state may alias live buffers: cloned.
    return { result, transfer: transferList(result.weights) };
  }

  port.on('message', (request: Request) => {
    handle(request).then(
      ({ result, transfer }) => post({ type: 'result', result }, transfer),
      (error: Error) => post({ type: 'error', error: { name: error.name, message: error.message, stack: error.stack } }),
    );
  });
  post({ type: 'ready' });
}

start().catch((error: Error) => post({ type: 'error', error: { name: error.name, message: error.message, stack: error.stack } }));
