// Where fit, evaluate and predict run. WorkerEngine: a worker thread per call rebuilds the model
// from toConfig() and weights (plus the optimizer state), trains, and hands weights and optimizer
// state back at each epoch end, so the main-thread model mirrors it when callbacks run; callbacks'
// changes (weights, lr) go back with the next epoch request. InProcessEngine: the same loop on the
// main thread, yielding to the event loop between batches.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Tensor } from '../tensor';
import { specOf, type Compiled } from './compile';
import { gradTransform } from './clip';
import type { Dataset } from './data';
import { fitEpoch, predictBatches, TrainingLoop, type EpochOptions, type LoopHooks } from './loop';
import type { ClipOptions, FitEpochResult } from './protocol';
import { datasetData, fromTensorData, sharedDataset, sharedTensor, tensorData, type DatasetData, type TensorData } from './shared';
import { transferList } from './serialize';
import type { Logs, TrainableModel } from './types';
import { copyWeights, loadWeights } from './weights';
import { TrainingWorker } from './worker-client';

export interface EngineOptions {
  model: TrainableModel;
  compiled: Compiled | null;
  inProcess: boolean;
  workerSetup: string | null;
  clip: ClipOptions;
}

export interface FitEpochSettings extends EpochOptions {
  validationBatchSize: number;
}

type BatchHandler = (batch: number, logs: Logs) => Promise<void>;

export interface Engine<Prepared = unknown> {
  /** Readies the training and validation sets once per fit. */
  prepare(train: Dataset, validation: Dataset | null): Promise<Prepared>;
  /** One epoch plus validation; on return the model and optimizer hold the epoch's result. */
  fitEpoch(data: Prepared, settings: FitEpochSettings, onBatchEnd: BatchHandler): Promise<Logs>;
  evaluate(data: Dataset, batchSize: number): Promise<Logs>;
  predict(x: Tensor, batchSize: number): Promise<Tensor>;
  /** Ends the running epoch after its current batch. */
  stop(): void;
  /** Ends the running call as soon as possible; the engine is unusable afterwards. */
  abort(): void;
  close(): Promise<void>;
}

function requireCompiled(compiled: Compiled | null): Compiled {
  if (!compiled) throw new Error('the model was not compiled');
  return compiled;
}

class InProcessEngine implements Engine<{ train: Dataset; validation: Dataset | null }> {
  private readonly loop: TrainingLoop | null;
  private stopped = false;
  private aborted = false;
  private readonly hooks: LoopHooks = { shouldStop: () => this.stopped || this.aborted, pause: () => nextTurn() };

  constructor(private readonly options: EngineOptions) {
    const { compiled, model, clip } = options;
    this.loop = compiled ? new TrainingLoop(model, { ...compiled, transformGrads: gradTransform(clip) }) : null;
  }

  async prepare(train: Dataset, validation: Dataset | null) {
    return { train, validation };
  }

  fitEpoch(data: { train: Dataset; validation: Dataset | null }, settings: FitEpochSettings, onBatchEnd: BatchHandler) {
    this.stopped = false;
    return fitEpoch(this.loop!, data.train, { ...settings, validation: data.validation }, { ...this.hooks, onBatchEnd }, () => this.aborted);
  }

  evaluate(data: Dataset, batchSize: number) {
    return this.loop!.evaluate(data, batchSize, this.hooks);
  }

  predict(x: Tensor, batchSize: number) {
    return predictBatches(this.options.model, x, batchSize, this.hooks);
  }

  stop() {
    this.stopped = true;
  }

  abort() {
    this.aborted = true;
  }

  async close() {}
}

interface SharedSets {
  train: DatasetData;
  validation: DatasetData | null;
}

class WorkerEngine implements Engine<SharedSets> {
  private constructor(private readonly options: EngineOptions, private readonly worker: TrainingWorker) {}

  static async start(options: EngineOptions): Promise<WorkerEngine> {
    const { model, compiled, workerSetup, clip } = options;
    gradTransform(clip);
    const worker = await TrainingWorker.start({
      setup: workerSetup,
      modelConfig: model.toConfig(),
      weights: copyWeights(model),
      spec: compiled && specOf(model, compiled),
      optimizerState: compiled?.optimizer.stateDict() ?? null,
      clip: { clipNorm: clip.clipNorm, clipValue: clip.clipValue },
    });
    return new WorkerEngine(options, worker);
  }

  async prepare(train: Dataset, validation: Dataset | null): Promise<SharedSets> {
    return {
      train: datasetData(await sharedDataset(train)),
      validation: validation && datasetData(await sharedDataset(validation)),
    };
  }

  async fitEpoch(data: SharedSets, settings: FitEpochSettings, onBatchEnd: BatchHandler): Promise<Logs> {
    const { model } = this.options;
    const optimizer = requireCompiled(this.options.compiled).optimizer;
    const weights = copyWeights(model);
    const result = await this.worker.request<FitEpochResult>(
      { type: 'fitEpoch', ...settings, lr: optimizer.lr, optimizerState: optimizer.stateDict(), weights, ...data },
      transferList(weights),
      onBatchEnd,
    );
    loadWeights(model, result.weights);
    optimizer.loadStateDict(result.optimizerState);
    return result.logs;
  }

  async evaluate(data: Dataset, batchSize: number): Promise<Logs> {
    return this.worker.request<Logs>({ type: 'evaluate', data: datasetData(await sharedDataset(data)), batchSize });
  }

  async predict(x: Tensor, batchSize: number): Promise<Tensor> {
    const y = await this.worker.request<TensorData>({ type: 'predict', x: tensorData(await sharedTensor(x)), batchSize });
    return fromTensorData(y);
  }

  stop() {
    this.worker.requestStop();
  }

  abort() {
    this.worker.fail(new Error('aborted'));
  }

  close() {
    return this.worker.close();
  }
}

export async function createEngine(options: EngineOptions): Promise<Engine> {
  return options.inProcess ? new InProcessEngine(options) : WorkerEngine.start(options);
}
